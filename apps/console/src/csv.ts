import type { RiskListItem } from './types.js'

/** One CSV cell (RFC 4180 quoting); text a spreadsheet would run as a formula is prefixed with '. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return String(value)
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

export const WORKLIST_CSV_HEADER = ['customerId', 'band', 'probability', 'revenueAtRisk', 'mrr', 'plan', 'topDriver', 'scoredAt']

/** Exactly the worklist rows on screen, in their order, as CSV (money in minor units, as the API gives it). */
export function worklistCsv(rows: readonly RiskListItem[]): string {
  const lines = [WORKLIST_CSV_HEADER.join(',')]
  for (const r of rows) {
    lines.push([r.customerId, r.band, r.probability, r.revenueAtRisk, r.mrr, r.plan, r.drivers[0]?.sentence, r.scoredAt].map(csvCell).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}

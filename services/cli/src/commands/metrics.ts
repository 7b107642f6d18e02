import { csvLine } from '@churnwatch/csv'
import { churnReport, type ChurnInterval, type ChurnPeriod, type ChurnReport, type CountChurnAt, type GroupBy } from '@churnwatch/metrics'
import { readMetricsHistories, type Pool } from '@churnwatch/storage'
import type { Output } from '../output.js'

export interface MetricsOptions {
  /** ISO instants: from inclusive (rounded down to its period), to exclusive. */
  from: string
  to: string
  interval: ChurnInterval
  groupBy?: GroupBy
  countChurnAt: CountChurnAt
  grossMargin: number
  format: 'table' | 'csv'
}

interface MetricsDeps {
  db: () => Promise<Pool>
  output: Output
}

/** The most periods one run prints, as the API allows (a week over ten years). */
const MAX_PERIODS = 520

/**
 * Columns, named by their path in the API's `/v1/metrics/churn` period (`movements.newMrr` is
 * `periods[].movements.newMrr`): the same figures, from the same storage read and the same
 * @churnwatch/metrics call.
 */
const COLUMNS: ReadonlyArray<[string, (p: ChurnPeriod) => string | number | null]> = [
  ['period', (p) => p.period],
  ['start', (p) => new Date(p.start).toISOString()],
  ['end', (p) => new Date(p.end).toISOString()],
  ['customersAtStart', (p) => p.customersAtStart],
  ['customersAtEnd', (p) => p.customersAtEnd],
  ['newCustomers', (p) => p.newCustomers],
  ['reactivations', (p) => p.reactivations],
  ['churned', (p) => p.churned],
  ['churnedNewInPeriod', (p) => p.churnedNewInPeriod],
  ['customerChurnRate', (p) => p.customerChurnRate],
  ['monthlyCustomerChurnRate', (p) => p.monthlyCustomerChurnRate],
  ['mrrAtStart', (p) => p.mrrAtStart],
  ['mrrAtEnd', (p) => p.mrrAtEnd],
  ['arpa', (p) => p.arpa],
  ['ltv', (p) => p.ltv],
  ['ltvGrossMargin', (p) => p.ltvGrossMargin],
  ['expansionMrr', (p) => p.expansionMrr],
  ['contractionMrr', (p) => p.contractionMrr],
  ['churnedMrr', (p) => p.churnedMrr],
  ['grossMrrChurnRate', (p) => p.grossMrrChurnRate],
  ['netMrrChurnRate', (p) => p.netMrrChurnRate],
  ['grr', (p) => p.grr],
  ['nrr', (p) => p.nrr],
  ['grrTrailing12m', (p) => p.grrTrailing12m],
  ['nrrTrailing12m', (p) => p.nrrTrailing12m],
  ['movements.newMrr', (p) => p.movements.newMrr],
  ['movements.expansionMrr', (p) => p.movements.expansionMrr],
  ['movements.reactivationMrr', (p) => p.movements.reactivationMrr],
  ['movements.contractionMrr', (p) => p.movements.contractionMrr],
  ['movements.churnedMrr', (p) => p.movements.churnedMrr],
  ['quickRatio', (p) => p.quickRatio],
  ['churnedByKind.voluntary', (p) => p.churnedByKind.voluntary],
  ['churnedByKind.involuntary', (p) => p.churnedByKind.involuntary],
  ['churnedByKind.unknown', (p) => p.churnedByKind.unknown],
  ['earlyChurnByTenure.days0to7', (p) => p.earlyChurnByTenure.days0to7],
  ['earlyChurnByTenure.days8to30', (p) => p.earlyChurnByTenure.days8to30],
  ['earlyChurnByTenure.days31to90', (p) => p.earlyChurnByTenure.days31to90],
  ['earlyChurnRate', (p) => p.earlyChurnRate],
]

/** Labels of the totals row and of the unknown group; parenthesised so that no real value collides. */
export const ALL_GROUP = '(all)'
export const UNKNOWN_GROUP = '(none)'

/** One row per (group, period): the totals first (group `(all)`), then each group of `groupBy`. */
export function metricsRows(report: ChurnReport): Array<Array<string | number | null>> {
  const rows: Array<Array<string | number | null>> = []
  const add = (group: string, periods: readonly ChurnPeriod[]) => {
    for (const p of periods) rows.push([group, ...COLUMNS.map(([, value]) => value(p))])
  }
  add(ALL_GROUP, report.periods)
  for (const g of report.groups) add(g.group ?? UNKNOWN_GROUP, g.periods)
  return rows
}

/** A block per group (totals first), one line per figure, one column per period: readable in a terminal. */
function formatTable(report: ChurnReport, groupBy: GroupBy | undefined): string {
  const blocks = [{ title: ALL_GROUP, periods: report.periods }, ...report.groups.map((g) => ({ title: `${groupBy ?? 'group'} ${g.group ?? UNKNOWN_GROUP}`, periods: g.periods }))]
  return blocks
    .map(({ title, periods }) => {
      const lines = [[title, ...periods.map((p) => p.period)], ...COLUMNS.slice(3).map(([name, value]) => [name, ...periods.map((p) => value(p) ?? '-')])]
      const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => String(l[i] ?? '').length))) ?? []
      return lines.map((l) => l.map((v, i) => (i === 0 ? String(v).padEnd(widths[i] ?? 0) : String(v).padStart(widths[i] ?? 0))).join('  ')).join('\n') + '\n'
    })
    .join('\n')
}

/** Prints churn and revenue metrics (the API's /v1/metrics/churn figures) as an aligned table or CSV on stdout. */
export async function printMetrics(options: MetricsOptions, deps: MetricsDeps): Promise<ChurnReport> {
  const from = Date.parse(options.from)
  const to = Date.parse(options.to)
  if (from >= to) throw new Error('--from must be before --to')
  const periodDays = { week: 7, month: 28, quarter: 90 }[options.interval]
  if ((to - from) / (periodDays * 86_400_000) > MAX_PERIODS) {
    throw new Error(`--from..--to holds more than ${MAX_PERIODS} ${options.interval}s; narrow it or use a longer --interval`)
  }
  const histories = await readMetricsHistories(await deps.db(), {
    until: new Date(to),
    invoices: options.groupBy === 'interval',
    accounts: options.groupBy === 'segment' || options.groupBy === 'ownerId',
  })
  const report = churnReport(histories, {
    from,
    to,
    interval: options.interval,
    countChurnAt: options.countChurnAt,
    grossMargin: options.grossMargin,
    ...(options.groupBy ? { groupBy: options.groupBy } : {}),
  })
  const header = [options.groupBy ?? 'group', ...COLUMNS.map(([name]) => name)]
  const rows = metricsRows(report)
  if (options.format === 'csv') {
    deps.output.data(csvLine(header) + rows.map((r) => csvLine(r)).join(''))
  } else {
    deps.output.data(formatTable(report, options.groupBy))
  }
  deps.output.info(
    `${histories.length} customers; churn counted at ${options.countChurnAt}; money in minor units; rates to 6 decimals; null shown as "-" in the table and empty in CSV`,
  )
  return report
}

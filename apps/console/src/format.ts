// Money, percentages and dates as people read them: in the browser's locale and time zone.

/** Integer minor units as money in a currency (USD cents → $1,234.56; JPY has no minor unit). */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency })
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2
  return format.format(minor / 10 ** digits)
}

/** A probability as a percentage with one decimal (0.8123 → 81.2%). */
export function formatPercent(probability: number, locale?: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(probability)
}

/** A change in probability as signed percentage points (0.42 → 0.55: +13.0 pts). */
export function formatPointChange(from: number, to: number): string {
  const points = Math.round((to - from) * 1000) / 10
  return `${points > 0 ? '+' : points < 0 ? '−' : '±'}${Math.abs(points).toFixed(1)} pts`
}

/** An instant in the given (default: the browser's) time zone, e.g. "Mar 1, 2026, 1:00 PM". */
export function formatLocal(iso: string, locale?: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) }).format(new Date(iso))
}

/** The same instant in UTC, shown on hover: "2026-03-01 12:00:00 UTC". */
export function formatUtc(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

export const BAND_LABELS = { high: 'High risk', medium: 'Medium risk', low: 'Low risk' } as const

export { ALERT_KIND_LABELS } from './types.js'

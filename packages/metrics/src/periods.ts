import { MS_PER_DAY } from '@churnwatch/features'

export type ChurnInterval = 'week' | 'month' | 'quarter'

export const CHURN_INTERVALS: readonly ChurnInterval[] = ['week', 'month', 'quarter']

/** Start (epoch ms) of the UTC period containing t: ISO week (Monday), calendar month or quarter. */
export function periodStartOf(t: number, interval: ChurnInterval): number {
  if (interval === 'week') {
    const day = Math.floor(t / MS_PER_DAY)
    // 1970-01-01 was a Thursday, so (day + 3) mod 7 is the weekday counted from Monday.
    const sinceMonday = (((day + 3) % 7) + 7) % 7
    return (day - sinceMonday) * MS_PER_DAY
  }
  const d = new Date(t)
  const month = d.getUTCMonth()
  return Date.UTC(d.getUTCFullYear(), interval === 'quarter' ? month - (month % 3) : month, 1)
}

/** Start of the period `n` periods after the one starting at `start`. */
export function addPeriods(start: number, interval: ChurnInterval, n: number): number {
  if (interval === 'week') return start + n * 7 * MS_PER_DAY
  const d = new Date(start)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n * (interval === 'quarter' ? 3 : 1), 1)
}

/** Label of the period starting at `start`: 'YYYY-MM', ISO 'YYYY-Www' or 'YYYY-Qn'. */
export function periodLabel(start: number, interval: ChurnInterval): string {
  const d = new Date(start)
  if (interval === 'month') return d.toISOString().slice(0, 7)
  if (interval === 'quarter') return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`
  // The ISO week-year is the year of the week's Thursday; week 1 holds the year's first Thursday.
  const thursday = start + 3 * MS_PER_DAY
  const year = new Date(thursday).getUTCFullYear()
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * MS_PER_DAY)) + 1
  return `${year}-W${String(week).padStart(2, '0')}`
}

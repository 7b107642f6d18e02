// Time inside the simulator is (day index relative to the start, second of that UTC day).

export const MS_PER_DAY = 86_400_000
export const SECONDS_PER_DAY = 86_400

/** Facts about one simulated UTC day. */
export interface DayInfo {
  /** 'YYYY-MM-DDT', the prefix of every occurredAt on that day. */
  prefix: string
  /** 0 = January. */
  month: number
  /** 0 = Sunday. */
  weekday: number
  isMonthStart: boolean
}

/** Epoch day of an ISO instant that must be UTC midnight; throws a RangeError otherwise. */
export function parseStartDay(start: string): number {
  const ms = Date.parse(start)
  if (!Number.isFinite(ms) || ms % MS_PER_DAY !== 0) {
    throw new RangeError(`start must be an ISO-8601 UTC midnight such as 2025-01-01T00:00:00Z, got ${start}`)
  }
  return ms / MS_PER_DAY
}

/** Epoch day `months` calendar months after `epochDay` (day of month kept, JS overflow rules). */
export function addMonths(epochDay: number, months: number): number {
  const date = new Date(epochDay * MS_PER_DAY)
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, date.getUTCDate()) / MS_PER_DAY
}

/** Facts about an epoch day. */
export function dayInfo(epochDay: number): DayInfo {
  const date = new Date(epochDay * MS_PER_DAY)
  return {
    prefix: date.toISOString().slice(0, 11),
    month: date.getUTCMonth(),
    weekday: date.getUTCDay(),
    isMonthStart: date.getUTCDate() === 1,
  }
}

/** 'HH:MM:SSZ' for a second of the day. */
export function formatSecond(second: number): string {
  const h = Math.floor(second / 3600)
  const m = Math.floor((second % 3600) / 60)
  const s = second % 60
  return `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}Z`
}

/** ISO-8601 UTC instant of (epoch day, second of day), without milliseconds. */
export function formatInstant(epochDay: number, second: number): string {
  return new Date(epochDay * MS_PER_DAY).toISOString().slice(0, 11) + formatSecond(second)
}

/**
 * First epoch day strictly after `afterEpochDay` that is a billing day for a subscription
 * anchored on day-of-month `anchorDom` (clamped to short months, as card billing does).
 */
export function nextBillingDay(anchorDom: number, afterEpochDay: number): number {
  const date = new Date(afterEpochDay * MS_PER_DAY)
  const y = date.getUTCFullYear()
  const m = date.getUTCMonth()
  const inMonth = billingDayIn(y, m, anchorDom)
  return inMonth > afterEpochDay ? inMonth : billingDayIn(y, m + 1, anchorDom)
}

function billingDayIn(year: number, month: number, anchorDom: number): number {
  const daysInMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  return Date.UTC(year, month, Math.min(anchorDom, daysInMonth)) / MS_PER_DAY
}

/** Day of month (1-31) of an epoch day. */
export function dayOfMonth(epochDay: number): number {
  return new Date(epochDay * MS_PER_DAY).getUTCDate()
}

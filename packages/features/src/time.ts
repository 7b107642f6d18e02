export const MS_PER_DAY = 86_400_000

/** UTC day number (days since 1970-01-01) of an epoch-ms instant. */
export function dayNumber(epochMs: number): number {
  return Math.floor(epochMs / MS_PER_DAY)
}

// Stored buckets repeat a few thousand distinct days; parsing each once keeps scoring fast.
const dayNumbers = new Map<string, number>()
const MAX_CACHED_DAYS = 20_000

/** UTC day number of a 'YYYY-MM-DD' string. */
export function dayNumberOf(day: string): number {
  const cached = dayNumbers.get(day)
  if (cached !== undefined) return cached
  const value = Math.floor(Date.parse(`${day}T00:00:00Z`) / MS_PER_DAY)
  if (dayNumbers.size >= MAX_CACHED_DAYS) dayNumbers.clear()
  dayNumbers.set(day, value)
  return value
}

/** 'YYYY-MM-DD' of the UTC day an epoch-ms instant falls in. */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10)
}

/** Epoch ms of an ISO-8601 string or Date; throws on an unparsable value (a programmer error here). */
export function toEpochMs(value: string | Date | number): number {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value.getTime()
  if (!Number.isFinite(ms)) throw new TypeError(`not a valid instant: ${String(value)}`)
  return ms
}

/** What a driver sentence is written from: the row's value, the training median, and the row's other values. */
export interface DriverFacts {
  /** The feature's value in the scored row (finite: a missing value never reaches a definition). */
  value: number
  /** The median over the rows the model was fitted on. */
  typical: number
  /** Another feature's value in the same row; undefined when the model has no such feature or it is missing. */
  otherValue: (name: string) => number | undefined
}

/** A count as people read it: whole numbers as is, else one decimal below 10 and none above. */
export function formatCount(value: number): string {
  if (Number.isInteger(value)) return String(value)
  return Math.abs(value) >= 10 ? String(Math.round(value)) : value.toFixed(1)
}

/** `n` with its noun, singular only for exactly 1: "1 seat", "3 seats", "2.5 events". */
export function countOf(value: number, noun: string, plural = `${noun}s`): string {
  return `${formatCount(value)} ${value === 1 ? noun : plural}`
}

/** Minor units as major units with two decimals (the currency is not known to features). */
export function formatMoney(minor: number): string {
  return (minor / 100).toFixed(2)
}

/** A ratio as a whole percentage: 0.754 -> "75%". */
export function formatPercent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`
}

/** x rounded to 6 decimals, never -0. */
export function roundRate(x: number): number {
  const r = Math.round(x * 1e6) / 1e6
  // Math.round yields -0 for tiny negatives; -0 would print and compare oddly.
  return r === 0 ? 0 : r
}

/** numerator / denominator rounded to 6 decimals; null when the denominator is 0 (no base to churn from). */
export function rate(numerator: number, denominator: number): number | null {
  if (denominator === 0) return null
  return roundRate(numerator / denominator)
}

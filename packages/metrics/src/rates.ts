/** numerator / denominator rounded to 6 decimals; null when the denominator is 0 (no base to churn from). */
export function rate(numerator: number, denominator: number): number | null {
  if (denominator === 0) return null
  const r = Math.round((numerator / denominator) * 1e6) / 1e6
  // Math.round yields -0 for tiny negatives; -0 would print and compare oddly.
  return r === 0 ? 0 : r
}

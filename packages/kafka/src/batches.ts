/**
 * Splits `items` into consecutive runs whose sizes (by `sizeOf`, in bytes) add up to at most
 * `maxBytes`, keeping their order. An item larger than `maxBytes` travels alone rather than being
 * dropped: the broker, not this function, decides whether one message is too large.
 */
export function splitByBytes<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes: number): T[][] {
  if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${maxBytes}`)
  const runs: T[][] = []
  let run: T[] = []
  let bytes = 0
  for (const item of items) {
    const size = sizeOf(item)
    if (run.length > 0 && bytes + size > maxBytes) {
      runs.push(run)
      run = []
      bytes = 0
    }
    run.push(item)
    bytes += size
  }
  if (run.length > 0) runs.push(run)
  return runs
}

import type { Driver, DriverMove, RiskBand, RiskChanges } from '@churnwatch/contract'

/** The previous material score a new one is compared with. */
export interface PreviousMaterialScore {
  probability: number
  band: RiskBand
  modelVersion: string
  /** null for a score stored before the previous asOf was recorded. */
  asOf: string | null
  drivers: readonly Driver[]
}

// Contributions that differ by less than this are rounding noise, not a move.
const CONTRIBUTION_EPSILON = 1e-6

/**
 * What changed between the previous material score and this one, by driver feature: drivers
 * listed now and not then entered; listed then and not now left (as they were then); listed in
 * both with a different value or contribution moved (old and new of each), largest contribution
 * change first. Entered and left keep the scores' own order (largest contribution first).
 */
export function diffDrivers(previous: PreviousMaterialScore | undefined, drivers: readonly Driver[]): RiskChanges {
  const before = new Map((previous?.drivers ?? []).map((d) => [d.feature, d]))
  const now = new Set(drivers.map((d) => d.feature))
  const moved: DriverMove[] = []
  for (const d of drivers) {
    const old = before.get(d.feature)
    if (!old) continue
    if (old.value === d.value && Math.abs(old.contribution - d.contribution) < CONTRIBUTION_EPSILON) continue
    moved.push({
      feature: d.feature,
      oldValue: old.value,
      newValue: d.value,
      oldContribution: old.contribution,
      newContribution: d.contribution,
      sentence: d.sentence,
    })
  }
  moved.sort((a, b) => Math.abs(b.newContribution - b.oldContribution) - Math.abs(a.newContribution - a.oldContribution) || (a.feature < b.feature ? -1 : 1))
  return {
    previous: previous
      ? { probability: previous.probability, band: previous.band, modelVersion: previous.modelVersion, asOf: previous.asOf }
      : null,
    entered: previous ? drivers.filter((d) => !before.has(d.feature)) : [...drivers],
    left: (previous?.drivers ?? []).filter((d) => !now.has(d.feature)),
    moved,
  }
}

import {
  buildTimelines,
  churnReportFromTimelines,
  retentionReportFromTimelines,
  timelineBefore,
  type ChurnMetricsOptions,
  type ChurnReport,
  type CohortGroup,
  type CohortRow,
  type RetentionOptions,
  type Timeline,
} from '@churnwatch/metrics'
import { readMetricsChanges, type MetricsHistory, type Pool } from '@churnwatch/storage'

export type RetentionReport = { cohorts: CohortRow[]; groups: CohortGroup[] }

export interface MetricsCacheStats {
  customers: number
  /** Full reads (the first request) and incremental refreshes that found changed customers. */
  fullReads: number
  refreshes: number
  /** Reports served from the response cache, and computed. */
  hits: number
  misses: number
}

export interface MetricsCache {
  churn(options: ChurnMetricsOptions): Promise<ChurnReport>
  retention(options: RetentionOptions): Promise<RetentionReport>
  stats(): MetricsCacheStats
}

export interface MetricsCacheOptions {
  /** Computed reports kept, least recently used dropped first (default 64); 0 computes every time. */
  maxReports?: number
}

/**
 * Every customer's metric timeline in memory (ADR 0014): read once in full, then, before each
 * report, only the customers whose billing or account events were committed since the previous
 * read (one indexed query when nothing changed). Reports of the same options are kept in a small
 * LRU until the data changes. The figures are those of churnReport / retentionReport over the
 * histories read with `until`: a timeline cut before `until` is what buildTimelines makes of the
 * events before it.
 */
export function createMetricsCache(pool: Pool, options: MetricsCacheOptions = {}): MetricsCache {
  const maxReports = options.maxReports ?? 64
  const timelines = new Map<string, Timeline>()
  let list: Timeline[] = []
  let lastEventAt = Number.NEGATIVE_INFINITY
  let snapshot: string | null = null
  let refreshing: Promise<void> | null = null
  const reports = new Map<string, ChurnReport | RetentionReport>()
  const stats: MetricsCacheStats = { customers: 0, fullReads: 0, refreshes: 0, hits: 0, misses: 0 }

  const apply = (histories: readonly MetricsHistory[], changed: readonly string[] | null) => {
    if (changed === null) timelines.clear()
    else for (const id of changed) timelines.delete(id)
    for (const timeline of buildTimelines(histories)) {
      timelines.set(timeline.customerId, timeline)
      lastEventAt = Math.max(lastEventAt, latestEvent(timeline))
    }
    list = [...timelines.values()]
    stats.customers = list.length
    reports.clear()
  }

  const refresh = async () => {
    const read = await readMetricsChanges(pool, snapshot)
    if (read.changed === null) {
      stats.fullReads += 1
      apply(read.histories, null)
    } else if (read.changed.length > 0) {
      stats.refreshes += 1
      apply(read.histories, read.changed)
    }
    snapshot = read.snapshot
  }

  // One read at a time: concurrent requests wait for the same refresh.
  const fresh = async () => {
    while (refreshing) await refreshing.catch(() => undefined)
    refreshing = refresh().finally(() => {
      refreshing = null
    })
    await refreshing
  }

  const cut = (until: number): readonly Timeline[] => (until > lastEventAt ? list : list.map((t) => timelineBefore(t, until)))

  const cached = <T extends ChurnReport | RetentionReport>(key: string, compute: () => T): T => {
    const hit = reports.get(key)
    if (hit) {
      stats.hits += 1
      reports.delete(key)
      reports.set(key, hit)
      return hit as T
    }
    stats.misses += 1
    const report = compute()
    if (maxReports > 0) {
      reports.set(key, report)
      if (reports.size > maxReports) reports.delete(reports.keys().next().value as string)
    }
    return report
  }

  return {
    async churn(o) {
      await fresh()
      const key = JSON.stringify(['churn', o.from, o.to, o.interval, o.countChurnAt ?? 'end', o.grossMargin ?? 1, o.groupBy ?? null])
      return cached(key, () => churnReportFromTimelines(cut(o.to), o))
    },
    async retention(o) {
      await fresh()
      const key = JSON.stringify(['retention', o.asOf, o.cohort, o.countChurnAt ?? 'end', o.groupBy ?? null])
      // The route read events before asOf + 1 (events at asOf are known at asOf).
      return cached(key, () => retentionReportFromTimelines(cut(o.asOf + 1), o))
    },
    stats: () => ({ ...stats }),
  }
}

function latestEvent(timeline: Timeline): number {
  const { billing, accounts } = timeline
  return Math.max(billing[billing.length - 1]?.occurredAt ?? Number.NEGATIVE_INFINITY, accounts[accounts.length - 1]?.occurredAt ?? Number.NEGATIVE_INFINITY)
}

import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { HistoryEntry } from './types.js'

export interface BandThresholds {
  high: number
  medium: number
}

/** The thresholds the scorer uses when a model stores none (packages/scoring DEFAULT_BANDS). */
export const DEFAULT_BANDS: BandThresholds = { high: 0.5, medium: 0.2 }

/** The model's band thresholds from GET /v1/models/{version} (metrics.bands), or undefined. */
export function bandsOf(metrics: Record<string, unknown>): BandThresholds | undefined {
  const bands = metrics.bands as { high?: unknown; medium?: unknown } | undefined
  return typeof bands?.high === 'number' && typeof bands.medium === 'number' ? { high: bands.high, medium: bands.medium } : undefined
}

/** Probability over time (oldest first) with the band thresholds drawn as dashed lines. */
export function RiskChart({ history, bands, label }: { history: readonly HistoryEntry[]; bands: BandThresholds; label: string }) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const points = [...history].reverse()
    const xs = points.map((p) => Date.parse(p.asOf) / 1000)
    const data: uPlot.AlignedData = [xs, points.map((p) => p.probability), xs.map(() => bands.high), xs.map(() => bands.medium)]
    const width = () => Math.max(280, el.clientWidth)
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        legend: { show: false },
        scales: { y: { range: [0, 1] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`) }],
        series: [
          {},
          { label: 'Probability', stroke: '#1f4fa3', width: 2, points: { show: true, size: 6 } },
          { label: 'High threshold', stroke: '#b3261e', dash: [6, 4], width: 1, points: { show: false } },
          { label: 'Medium threshold', stroke: '#8a5a00', dash: [6, 4], width: 1, points: { show: false } },
        ],
      },
      data,
      el,
    )
    const onResize = () => plot.setSize({ width: width(), height: 240 })
    window.addEventListener('resize', onResize)
    return () => {
      window.removeEventListener('resize', onResize)
      plot.destroy()
    }
  }, [history, bands])
  return <div class="chart" ref={box} role="img" aria-label={label} />
}

import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ApiProblem } from './api.js'
import { BAND_LABELS, formatLocal, formatMoney, formatUtc } from './format.js'
import type { RiskBand } from './types.js'

/** Money in minor units, in the console's currency. */
export function Money({ minor, currency }: { minor: number; currency: string }) {
  return <span class="num">{formatMoney(minor, currency)}</span>
}

/** An instant in the browser's zone; UTC on hover. */
export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatUtc(iso)}>
      {formatLocal(iso)}
    </time>
  )
}

export function BandChip({ band }: { band: RiskBand }) {
  return <span class={`chip band-${band}`}>{BAND_LABELS[band]}</span>
}

/** An API error with its problem+json detail. */
export function ErrorBox({ error }: { error: unknown }) {
  const problem = error instanceof ApiProblem ? error : undefined
  return (
    <div class="error" role="alert">
      <strong>{problem ? `${problem.title}${problem.status ? ` (${problem.status})` : ''}` : 'Something went wrong'}</strong>
      <p>{problem ? problem.detail : error instanceof Error ? error.message : String(error)}</p>
    </div>
  )
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}

export type Load<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; value: T }

/** Runs `fetcher` whenever `key` changes; a newer run wins over an older, slower one. */
export function useLoad<T>(key: string, fetcher: () => Promise<T>): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' })
  const [generation, setGeneration] = useState(0)
  useEffect(() => {
    let current = true
    setLoad({ state: 'loading' })
    fetcher().then(
      (value) => current && setLoad({ state: 'ready', value }),
      (error: unknown) => current && setLoad({ state: 'error', error }),
    )
    return () => {
      current = false
    }
    // The key names everything fetcher reads.
  }, [key, generation])
  return [load, () => setGeneration((g) => g + 1)]
}

/** A horizontally scrollable table, reachable by keyboard (a named, focusable region). */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  )
}

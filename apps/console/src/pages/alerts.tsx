import { useEffect, useState } from 'preact/hooks'
import { AlertCard } from '../alert-card.js'
import { api, canChangeAlerts } from '../api.js'
import { ALERT_KIND_LABELS } from '../format.js'
import { hashFor, listParam, toggled } from '../route.js'
import { ALERT_KINDS, type Alert, type Session } from '../types.js'
import { Empty, ErrorBox, Loading, useLoad } from '../ui.js'

export const INBOX_LIMIT = 200
const ORDERS = { newest: 'Newest first', largest: 'Largest revenue at risk first' } as const
type Order = keyof typeof ORDERS

/** Open alerts in the chosen order: the API's newest-first, or by revenue at risk (ties: newest). */
export function orderAlerts(alerts: readonly Alert[], order: Order): Alert[] {
  if (order === 'newest') return [...alerts]
  return [...alerts].sort((a, b) => b.revenueAtRisk - a.revenueAtRisk || b.createdAt.localeCompare(a.createdAt))
}

export function AlertsPage({ params, session, currency }: { params: URLSearchParams; session: Session; currency: string }) {
  const kinds = listParam(params, 'kind', ALERT_KINDS)
  const order: Order = params.get('order') === 'largest' ? 'largest' : 'newest'
  const [load, reload] = useLoad(kinds.join(','), () => api.alerts({ status: 'open', limit: INBOX_LIMIT, ...(kinds.length > 0 ? { kind: kinds.join(',') } : {}) }))
  const [alerts, setAlerts] = useState<Alert[]>([])
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [bulk, setBulk] = useState<{ busy: boolean; done?: number; errors: unknown[] }>({ busy: false, errors: [] })
  useEffect(() => {
    if (load.state === 'ready') {
      setAlerts(load.value.data)
      setSelected(new Set())
    }
  }, [load])
  const canChange = canChangeAlerts(session)
  const hash = (change: { kinds?: string[]; order?: Order }) =>
    hashFor('/alerts', { kind: (change.kinds ?? kinds).join(','), order: (change.order ?? order) === 'newest' ? undefined : (change.order ?? order), currency: params.get('currency') ?? undefined })
  const replace = (changed: Alert) => setAlerts((all) => all.map((a) => (a.alertId === changed.alertId ? changed : a)))
  const acknowledgeSelected = async () => {
    setBulk({ busy: true, errors: [] })
    const errors: unknown[] = []
    let done = 0
    for (const id of selected) {
      try {
        replace(await api.acknowledge(id))
        done++
      } catch (err) {
        errors.push(err)
      }
    }
    setSelected(new Set())
    setBulk({ busy: false, done, errors })
  }
  const shown = orderAlerts(alerts, order)
  const counts = new Map(ALERT_KINDS.map((k) => [k, alerts.filter((a) => a.kind === k).length]))
  return (
    <>
      <h1>Alerts</h1>
      <div class="controls">
        <fieldset class="chips">
          <legend>Kind</legend>
          {ALERT_KINDS.map((kind) => (
            <a class="chip" role="button" aria-pressed={kinds.includes(kind)} href={hash({ kinds: toggled(kinds, kind, ALERT_KINDS) })}>
              {ALERT_KIND_LABELS[kind]}
              {load.state === 'ready' && (kinds.length === 0 || kinds.includes(kind)) ? ` (${counts.get(kind) ?? 0})` : ''}
            </a>
          ))}
        </fieldset>
        <label>
          Order{' '}
          <select value={order} onChange={(e) => (window.location.hash = hash({ order: (e.currentTarget).value as Order }))}>
            {Object.entries(ORDERS).map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </label>
        {canChange && (
          <button type="button" disabled={selected.size === 0 || bulk.busy} onClick={() => void acknowledgeSelected()}>
            Acknowledge selected ({selected.size})
          </button>
        )}
      </div>
      {bulk.done !== undefined && (
        <p role="status">
          Acknowledged {bulk.done} alert{bulk.done === 1 ? '' : 's'}
          {bulk.errors.length > 0 ? `; ${bulk.errors.length} failed` : ''}.
        </p>
      )}
      {bulk.errors[0] !== undefined && <ErrorBox error={bulk.errors[0]} />}
      {load.state === 'loading' && <Loading what="open alerts" />}
      {load.state === 'error' && (
        <>
          <ErrorBox error={load.error} />
          <button type="button" onClick={reload}>Try again</button>
        </>
      )}
      {load.state === 'ready' && shown.length === 0 && <Empty>No open alert{kinds.length > 0 ? ' of these kinds' : ''}.</Empty>}
      {load.state === 'ready' && load.value.nextCursor && <p class="hint">Showing the {INBOX_LIMIT} newest open alerts.</p>}
      {shown.map((a) => (
        <AlertCard
          alert={a}
          canChange={canChange}
          currency={currency}
          onChanged={replace}
          showCustomer
          {...(canChange && a.status === 'open'
            ? {
                selection: {
                  selected: selected.has(a.alertId),
                  toggle: () =>
                    setSelected((s) => {
                      const next = new Set(s)
                      if (next.has(a.alertId)) next.delete(a.alertId)
                      else next.add(a.alertId)
                      return next
                    }),
                },
              }
            : {})}
        />
      ))}
    </>
  )
}

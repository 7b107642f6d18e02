import { useState } from 'preact/hooks'
import { api } from './api.js'
import { ALERT_KIND_LABELS, formatPercent } from './format.js'
import { accountHash } from './route.js'
import type { Alert } from './types.js'
import { ErrorBox, Money, Time } from './ui.js'

/** One alert with its actions; the buttons show only when the session may change alerts. */
export function AlertCard({ alert, canChange, currency, onChanged, showCustomer, selection }: {
  alert: Alert
  canChange: boolean
  currency: string
  onChanged: (alert: Alert) => void
  showCustomer: boolean
  selection?: { selected: boolean; toggle: () => void }
}) {
  const [error, setError] = useState<unknown>(undefined)
  const [busy, setBusy] = useState(false)
  const act = async (action: () => Promise<Alert>) => {
    setBusy(true)
    setError(undefined)
    try {
      onChanged(await action())
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const titleId = `alert-${alert.alertId}`
  return (
    <article class={`alert status-${alert.status}`} aria-labelledby={titleId}>
      <header>
        {selection && (
          <input type="checkbox" checked={selection.selected} onChange={selection.toggle} aria-label={`Select alert ${alert.alertId}`} />
        )}
        <h3 id={titleId}>
          {ALERT_KIND_LABELS[alert.kind]}
          {showCustomer && (
            <>
              {' · '}
              <a href={accountHash(alert.customerId)}>{alert.customerId}</a>
            </>
          )}
        </h3>
        <span class="status" data-status={alert.status}>{alert.status}</span>
      </header>
      <p>
        Raised <Time iso={alert.createdAt} /> at {formatPercent(alert.probability)} · <Money minor={alert.revenueAtRisk} currency={currency} /> at risk
        {alert.acknowledgedAt && (
          <>
            {' · acknowledged '}
            <Time iso={alert.acknowledgedAt} />
          </>
        )}
        {alert.resolvedAt && (
          <>
            {' · resolved '}
            <Time iso={alert.resolvedAt} />
            {alert.resolution ? ` (${alert.resolution})` : ''}
          </>
        )}
      </p>
      <p class="play">Suggested: {alert.play}</p>
      {canChange && alert.status !== 'resolved' && (
        <div class="actions">
          {alert.status === 'open' && (
            <button type="button" disabled={busy} onClick={() => void act(() => api.acknowledge(alert.alertId))}>
              Acknowledge
            </button>
          )}
          <button type="button" class="secondary" disabled={busy} onClick={() => void act(() => api.resolve(alert.alertId))}>
            Resolve
          </button>
        </div>
      )}
      {error !== undefined && <ErrorBox error={error} />}
    </article>
  )
}

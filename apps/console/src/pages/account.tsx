import { useEffect, useState } from 'preact/hooks'
import { AlertCard } from '../alert-card.js'
import { api, canChangeAlerts } from '../api.js'
import { bandsOf, DEFAULT_BANDS, RiskChart, type BandThresholds } from '../chart.js'
import { formatPercent, formatPointChange } from '../format.js'
import type { Alert, HistoryEntry, Risk, Session } from '../types.js'
import { BandChip, Empty, ErrorBox, Loading, Money, TableWrap, Time, useLoad } from '../ui.js'

/** The customer's most recent alerts shown (snoozed ones included). */
export const ACCOUNT_ALERT_LIMIT = 200

interface AccountData {
  risk: Risk
  history: HistoryEntry[]
  bands: BandThresholds
  alerts: Alert[]
}

async function loadAccount(customerId: string): Promise<AccountData> {
  // The model (for its band thresholds) follows the risk; the history and alerts load beside them.
  const riskAndModel = api.risk(customerId).then(async (risk) => ({ risk, model: await api.model(risk.modelVersion).catch(() => undefined) }))
  const [{ risk, model }, history, alerts] = await Promise.all([riskAndModel, api.history(customerId), api.alerts({ customerId, snoozed: 'include', limit: ACCOUNT_ALERT_LIMIT })])
  return {
    risk,
    history: history.data,
    bands: (model && bandsOf(model.metrics)) ?? DEFAULT_BANDS,
    alerts: alerts.data,
  }
}

export function AccountPage({ customerId, session, currency }: { customerId: string; session: Session; currency: string }) {
  const [load, reload] = useLoad(customerId, () => loadAccount(customerId))
  const [alerts, setAlerts] = useState<Alert[]>([])
  useEffect(() => {
    if (load.state === 'ready') setAlerts(load.value.alerts)
  }, [load])
  return (
    <>
      <p class="crumbs">
        <a href="#/worklist">Worklist</a> › {customerId}
      </p>
      <h1>{customerId}</h1>
      {load.state === 'loading' && <Loading what="the account" />}
      {load.state === 'error' && (
        <>
          <ErrorBox error={load.error} />
          <button type="button" onClick={reload}>Try again</button>
        </>
      )}
      {load.state === 'ready' && (
        <Account
          data={load.value}
          alerts={alerts}
          currency={currency}
          canChange={canChangeAlerts(session)}
          onChanged={(changed) => setAlerts((all) => all.map((a) => (a.alertId === changed.alertId ? changed : a)))}
        />
      )}
    </>
  )
}

function Account({ data, alerts, currency, canChange, onChanged }: { data: AccountData; alerts: Alert[]; currency: string; canChange: boolean; onChanged: (a: Alert) => void }) {
  const { risk, history, bands } = data
  const previous = history[1]
  const open = alerts.filter((a) => a.status !== 'resolved')
  const past = alerts.filter((a) => a.status === 'resolved')
  const previousFeatures = new Set(previous?.drivers.map((d) => d.feature) ?? [])
  return (
    <>
      <section class="summary" aria-label="Current risk">
        <div>
          <span class="label">Risk</span>
          <BandChip band={risk.band} /> <strong class="big">{formatPercent(risk.probability)}</strong>
          {previous && <span class="delta"> {formatPointChange(previous.probability, risk.probability)} since <Time iso={previous.asOf} /></span>}
        </div>
        <div>
          <span class="label">Revenue at risk</span>
          <strong class="big"><Money minor={risk.revenueAtRisk} currency={currency} /></strong>
        </div>
        <div>
          <span class="label">MRR</span>
          <Money minor={risk.mrr} currency={currency} /> · {risk.plan ?? 'no plan'}
        </div>
        <div>
          <span class="label">Scored</span>
          <Time iso={risk.scoredAt} /> · model {risk.modelVersion}
        </div>
      </section>

      <section aria-labelledby="h-history">
        <h2 id="h-history">Risk over time</h2>
        {history.length === 0 ? (
          <Empty>No score history yet.</Empty>
        ) : (
          <>
            <RiskChart
              history={history}
              bands={bands}
              label={`Churn probability over ${history.length} scores, now ${formatPercent(risk.probability)}; high-risk threshold ${formatPercent(bands.high)}, medium ${formatPercent(bands.medium)}`}
            />
            <p class="legend">
              <span class="key prob">Probability</span> <span class="key high">High from {formatPercent(bands.high)}</span>{' '}
              <span class="key medium">Medium from {formatPercent(bands.medium)}</span>
            </p>
            <details class="as-table">
              <summary>Show the scores as a table</summary>
              <TableWrap label="Score history">
                <table class="history">
                  <caption class="visually-hidden">Score history, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">As of</th>
                      <th scope="col" class="num">Probability</th>
                      <th scope="col">Band</th>
                      <th scope="col" class="wide">Model</th>
                    </tr>
                  </thead>
                  <tbody>
                    {history.map((h) => (
                      <tr key={`${h.asOf}|${h.modelVersion}`}>
                        <th scope="row"><Time iso={h.asOf} /></th>
                        <td class="num">{formatPercent(h.probability)}</td>
                        <td><BandChip band={h.band} /></td>
                        <td class="wide">{h.modelVersion}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </details>
          </>
        )}
      </section>

      <section aria-labelledby="h-drivers">
        <h2 id="h-drivers">Why</h2>
        {risk.drivers.length === 0 ? (
          <Empty>The model names no driver for this score.</Empty>
        ) : (
          <ul class="drivers">
            {risk.drivers.map((d) => (
              <li>
                {d.sentence}
                {previous && !previousFeatures.has(d.feature) && <span class="tag">new since the previous score</span>}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="h-alerts">
        <h2 id="h-alerts">Open alerts</h2>
        {open.length === 0 ? <Empty>No open alert.</Empty> : open.map((a) => <AlertCard alert={a} canChange={canChange} currency={currency} onChanged={onChanged} showCustomer={false} />)}
        <h2>Past alerts</h2>
        {past.length === 0 ? <Empty>No past alert.</Empty> : past.map((a) => <AlertCard alert={a} canChange={canChange} currency={currency} onChanged={onChanged} showCustomer={false} />)}
      </section>
    </>
  )
}

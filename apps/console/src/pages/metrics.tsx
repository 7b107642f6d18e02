import { api } from '../api.js'
import { formatPercent } from '../format.js'
import { hashFor } from '../route.js'
import type { ChurnPeriod, RetentionCohort } from '../types.js'
import { Empty, ErrorBox, Loading, Money, TableWrap, useLoad } from '../ui.js'

const INTERVALS = { month: 'Month', week: 'Week', quarter: 'Quarter' } as const
type Interval = keyof typeof INTERVALS
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A rate, or a dash where the period had no base to divide by. */
const rate = (value: number | null) => (value === null ? '—' : formatPercent(value))

/** One of five shades for a retention rate (0-19%, 20-39%, ... 80-100%), for the heatmap. */
export function heatClass(rate: number): string {
  return `heat-${Math.min(4, Math.max(0, Math.floor(rate * 5)))}`
}

/** The most common cancellation reasons of a period, "reason (n)", largest first. */
export function topReasons(reasons: Record<string, number>, count = 3): string {
  const sorted = Object.entries(reasons).sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
  return sorted.length === 0 ? '—' : sorted.slice(0, count).map(([reason, n]) => `${reason} (${n})`).join(', ')
}

export function MetricsPage({ params, currency }: { params: URLSearchParams; currency: string }) {
  const interval: Interval = params.get('interval') === 'week' ? 'week' : params.get('interval') === 'quarter' ? 'quarter' : 'month'
  const from = DAY.test(params.get('from') ?? '') ? (params.get('from') ?? undefined) : undefined
  const to = DAY.test(params.get('to') ?? '') ? (params.get('to') ?? undefined) : undefined
  const [load, reload] = useLoad(`${interval}|${from}|${to}`, () => api.churn({ interval, ...(from ? { from } : {}), ...(to ? { to } : {}) }))
  const [retention, reloadRetention] = useLoad(`retention|${to}`, () => api.retention(to ? { asOf: to } : {}))
  const go = (change: Record<string, string | undefined>) => {
    window.location.hash = hashFor('/metrics', { interval: interval === 'month' ? undefined : interval, from, to, currency: params.get('currency') ?? undefined, ...change })
  }
  return (
    <>
      <h1>Churn metrics</h1>
      <div class="controls">
        <label>
          Interval{' '}
          <select value={interval} onChange={(e) => go({ interval: e.currentTarget.value === 'month' ? undefined : e.currentTarget.value })}>
            {Object.entries(INTERVALS).map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </label>
        <label>
          From <input type="date" value={from ?? ''} onChange={(e) => go({ from: e.currentTarget.value || undefined })} />
        </label>
        <label>
          To (exclusive) <input type="date" value={to ?? ''} onChange={(e) => go({ to: e.currentTarget.value || undefined })} />
        </label>
      </div>
      {load.state === 'loading' && <Loading what="churn metrics" />}
      {load.state === 'error' && (
        <>
          <ErrorBox error={load.error} />
          <button type="button" onClick={reload}>Try again</button>
        </>
      )}
      {load.state === 'ready' && (
        <>
          <details class="definition">
            <summary>How churn is counted</summary>
            <p>{load.value.definition}</p>
            <p>
              Churn rate = churned ÷ customers at the start. Gross MRR churn = (churned MRR + contraction) ÷ MRR at the start; net
              MRR churn subtracts expansion (negative when expansion wins). Early churn: ends soon after the subscription started.
            </p>
          </details>
          {load.value.periods.length === 0 ? <Empty>No period in this range.</Empty> : <ChurnTable periods={load.value.periods} currency={currency} />}
        </>
      )}
      <h2 id="h-retention">Retention by signup month</h2>
      <p class="hint">Share of each month's new customers still customers at the start of each month after it{to ? `, as known on ${to}` : ''}.</p>
      {retention.state === 'loading' && <Loading what="retention" />}
      {retention.state === 'error' && (
        <>
          <ErrorBox error={retention.error} />
          <button type="button" onClick={reloadRetention}>Try again</button>
        </>
      )}
      {retention.state === 'ready' &&
        (retention.value.cohorts.length === 0 ? <Empty>No customer has started yet.</Empty> : <RetentionTable cohorts={retention.value.cohorts} />)}
    </>
  )
}

function RetentionTable({ cohorts }: { cohorts: RetentionCohort[] }) {
  const months = Math.max(...cohorts.map((c) => c.retained.length))
  return (
    <TableWrap label="Retention by signup month">
      <table class="retention">
        <caption class="visually-hidden">Retention by signup month</caption>
        <thead>
          <tr>
            <th scope="col">Signed up</th>
            <th scope="col" class="num">Customers</th>
            {Array.from({ length: months }, (_, k) => (
              <th scope="col" class="num">Month {k}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cohorts.map((c) => (
            <tr key={c.cohort}>
              <th scope="row">{c.cohort}</th>
              <td class="num">{c.size}</td>
              {Array.from({ length: months }, (_, k) => {
                const rate = c.retainedRate[k]
                return rate === undefined ? (
                  <td />
                ) : (
                  <td class={`num ${heatClass(rate)}`} title={`${c.retained[k] ?? 0} of ${c.size} customers`}>
                    {formatPercent(rate)}
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}

function ChurnTable({ periods, currency }: { periods: ChurnPeriod[]; currency: string }) {
  return (
    <TableWrap label="Churn per period">
      <table class="metrics">
        <caption class="visually-hidden">Churn per period</caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            <th scope="col" class="num">Customers at start</th>
            <th scope="col" class="num">Churned</th>
            <th scope="col" class="num wide">Voluntary / involuntary</th>
            <th scope="col" class="num" title="churned ÷ customers at start">Churn rate</th>
            <th scope="col" class="num wide">MRR at start</th>
            <th scope="col" class="num" title="(churned MRR + contraction) ÷ MRR at start">Gross MRR churn</th>
            <th scope="col" class="num" title="(churned MRR + contraction − expansion) ÷ MRR at start">Net MRR churn</th>
            <th scope="col" class="num wide">Early churn</th>
            <th scope="col" class="wide">Top reasons</th>
          </tr>
        </thead>
        <tbody>
          {periods.map((p) => (
            <tr key={p.period}>
              <th scope="row">{p.period}</th>
              <td class="num">{p.customersAtStart}</td>
              <td class="num">{p.churned}</td>
              <td class="num wide">
                {p.churnedByKind.voluntary} / {p.churnedByKind.involuntary}
              </td>
              <td class="num">{rate(p.customerChurnRate)}</td>
              <td class="num wide">
                <Money minor={p.mrrAtStart} currency={currency} />
              </td>
              <td class="num">{rate(p.grossMrrChurnRate)}</td>
              <td class="num">{rate(p.netMrrChurnRate)}</td>
              <td class="num wide">{p.earlyChurn}</td>
              <td class="wide">{topReasons(p.cancellationReasons)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}

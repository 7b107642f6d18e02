import { api } from '../api.js'
import { worklistCsv } from '../csv.js'
import { formatPercent } from '../format.js'
import { accountHash, hashFor, listParam, toggled } from '../route.js'
import { RISK_BANDS, type RiskListItem } from '../types.js'
import { BandChip, Empty, ErrorBox, Loading, Money, TableWrap, Time, useLoad } from '../ui.js'

export const WORKLIST_PAGE_SIZE = 50
const SORTS = { revenueAtRisk: 'Revenue at risk', probability: 'Probability' } as const
type Sort = keyof typeof SORTS

/** The worklist's filters as the URL holds them. */
function filtersOf(params: URLSearchParams) {
  const sort: Sort = params.get('sort') === 'probability' ? 'probability' : 'revenueAtRisk'
  return {
    sort,
    bands: listParam(params, 'band', RISK_BANDS),
    minProbability: params.get('minProbability') ?? '',
    cursor: params.get('cursor') ?? '',
    currency: params.get('currency') ?? '',
  }
}
type Filters = ReturnType<typeof filtersOf>

function worklistHash(f: Filters, change: Partial<Filters>): string {
  // Any change of filter starts again at the first page.
  const next = { ...f, cursor: '', ...change }
  return hashFor('/worklist', {
    sort: next.sort === 'revenueAtRisk' ? undefined : next.sort,
    band: next.bands.join(','),
    minProbability: next.minProbability,
    cursor: next.cursor,
    currency: next.currency,
  })
}

function download(rows: readonly RiskListItem[]): void {
  const url = URL.createObjectURL(new Blob([worklistCsv(rows)], { type: 'text/csv;charset=utf-8' }))
  const link = document.createElement('a')
  link.href = url
  link.download = 'worklist.csv'
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1_000)
}

export function WorklistPage({ params, currency }: { params: URLSearchParams; currency: string }) {
  const f = filtersOf(params)
  const [load, reload] = useLoad(params.toString(), () =>
    api.customers({
      sort: f.sort,
      limit: WORKLIST_PAGE_SIZE,
      ...(f.bands.length > 0 ? { band: f.bands.join(',') } : {}),
      ...(f.minProbability ? { minProbability: f.minProbability } : {}),
      ...(f.cursor ? { cursor: f.cursor } : {}),
    }),
  )
  const go = (hash: string) => {
    window.location.hash = hash
  }
  const search = (event: Event) => {
    event.preventDefault()
    const id = ((event.currentTarget as HTMLFormElement).elements.namedItem('customer') as HTMLInputElement).value.trim()
    if (id) go(accountHash(id))
  }
  return (
    <>
      <h1>Worklist</h1>
      <p class="lede">Customers with a current score, ranked by {SORTS[f.sort].toLowerCase()}, highest first.</p>
      <div class="controls">
        <form class="search" role="search" onSubmit={search}>
          <label for="customer">Customer id</label>
          <input id="customer" name="customer" type="search" placeholder="e.g. cust-00042" />
          <button type="submit">Open</button>
        </form>
        <label>
          Rank by{' '}
          <select value={f.sort} onChange={(e) => go(worklistHash(f, { sort: (e.currentTarget).value as Sort }))}>
            {Object.entries(SORTS).map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </label>
        <label>
          Probability at least{' '}
          <select value={f.minProbability} onChange={(e) => go(worklistHash(f, { minProbability: (e.currentTarget).value }))}>
            <option value="">any</option>
            {['0.2', '0.3', '0.5', '0.7', '0.9'].map((p) => (
              <option value={p}>{formatPercent(Number(p))}</option>
            ))}
          </select>
        </label>
        <fieldset class="chips">
          <legend>Band</legend>
          {RISK_BANDS.map((band) => (
            <button type="button" class={`chip band-${band}`} aria-pressed={f.bands.includes(band)} onClick={() => go(worklistHash(f, { bands: toggled(f.bands, band, RISK_BANDS) }))}>
              {band}
            </button>
          ))}
        </fieldset>
      </div>
      {load.state === 'loading' && <Loading what="the worklist" />}
      {load.state === 'error' && (
        <>
          <ErrorBox error={load.error} />
          <button type="button" onClick={reload}>Try again</button>
        </>
      )}
      {load.state === 'ready' && load.value.data.length === 0 && <Empty>No scored customer matches these filters.</Empty>}
      {load.state === 'ready' && load.value.data.length > 0 && (
        <>
          <TableWrap label="At-risk customers">
            <table class="worklist">
              <caption class="visually-hidden">At-risk customers</caption>
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col">Band</th>
                  <th scope="col" class="num">Probability</th>
                  <th scope="col" class="num">Revenue at risk</th>
                  <th scope="col" class="num wide">MRR</th>
                  <th scope="col" class="wide">Plan</th>
                  <th scope="col" class="wide">Top driver</th>
                  <th scope="col" class="wide">Scored</th>
                </tr>
              </thead>
              <tbody>
                {load.value.data.map((r) => (
                  <tr key={r.customerId}>
                    <th scope="row">
                      <a href={accountHash(r.customerId)}>{r.customerId}</a>
                    </th>
                    <td><BandChip band={r.band} /></td>
                    <td class="num">{formatPercent(r.probability)}</td>
                    <td class="num"><Money minor={r.revenueAtRisk} currency={currency} /></td>
                    <td class="num wide"><Money minor={r.mrr} currency={currency} /></td>
                    <td class="wide">{r.plan ?? '—'}</td>
                    <td class="wide">{r.drivers[0]?.sentence ?? '—'}</td>
                    <td class="wide"><Time iso={r.scoredAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <div class="pager">
            <span role="status">{load.value.data.length} customers on this page</span>
            {f.cursor && <a href={worklistHash(f, {})}>First page</a>}
            {load.value.nextCursor && <a href={worklistHash(f, { cursor: load.value.nextCursor })}>Next page</a>}
            <button type="button" onClick={() => download(load.value.data)}>Export CSV</button>
          </div>
        </>
      )}
    </>
  )
}

interface Driver {
  sentence: string
}
interface RiskItem {
  customerId: string
  probability: number
  band: string
  revenueAtRisk: number
  drivers: Driver[]
}
interface ChurnPeriod {
  period: string
  customersAtStart: number
  churned: number
  customerChurnRate: number | null
  grossMrrChurnRate: number | null
  netMrrChurnRate: number | null
  churnedByKind: { voluntary: number; involuntary: number; unknown: number }
  earlyChurn: number
  reactivations: number
}
interface Alert {
  kind: string
}

const money = (minor: number) => `$${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
const pct = (x: number | null) => (x === null ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`)

/** Prints the demo's findings by calling the running API, as a CRM or a CS tool would. */
export async function printReport(options: { url: string; key: string; asOf: string; say: (line: string) => void }): Promise<void> {
  const { say } = options
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${options.url}${path}`, { headers: { authorization: `Bearer ${options.key}` } })
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`)
    return (await response.json()) as T
  }

  const top = await get<{ data: RiskItem[] }>('/v1/customers?sort=probability&limit=20')
  say('\ntop 20 at-risk customers (GET /v1/customers?sort=probability)')
  say('  customer      probability  band    revenue at risk  top drivers')
  for (const c of top.data) {
    say(`  ${c.customerId.padEnd(12)}  ${c.probability.toFixed(3).padStart(11)}  ${c.band.padEnd(6)}  ${money(c.revenueAtRisk).padStart(15)}  ${c.drivers[0]?.sentence ?? ''}`)
    for (const d of c.drivers.slice(1)) say(`${' '.repeat(57)}${d.sentence}`)
  }

  // The last six complete calendar months before asOf.
  const asOf = new Date(options.asOf)
  const to = new Date(Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), 1))
  const from = new Date(Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth() - 6, 1))
  const metrics = await get<{ periods: ChurnPeriod[] }>(`/v1/metrics/churn?from=${from.toISOString()}&to=${to.toISOString()}&interval=month`)
  say('\nchurn, last 6 months (GET /v1/metrics/churn)')
  say('  month     at start  churned  churn rate  gross MRR  net MRR  voluntary/involuntary  early  reactivated')
  for (const p of metrics.periods) {
    say(
      `  ${p.period.padEnd(8)}  ${String(p.customersAtStart).padStart(8)}  ${String(p.churned).padStart(7)}  ${pct(p.customerChurnRate).padStart(10)}  ` +
        `${pct(p.grossMrrChurnRate).padStart(9)}  ${pct(p.netMrrChurnRate).padStart(7)}  ` +
        `${`${p.churnedByKind.voluntary}/${p.churnedByKind.involuntary}`.padStart(21)}  ${String(p.earlyChurn).padStart(5)}  ${String(p.reactivations).padStart(11)}`,
    )
  }

  const counts = new Map<string, number>()
  let cursor: string | null = null
  let pages = 0
  do {
    const page: { data: Alert[]; nextCursor: string | null } = await get(`/v1/alerts?status=open&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    for (const a of page.data) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1)
    cursor = page.nextCursor
    pages += 1
  } while (cursor && pages < 100)
  say('\nopen alerts (GET /v1/alerts?status=open)')
  for (const [kind, n] of [...counts.entries()].sort()) say(`  ${kind.padEnd(18)} ${n}`)
  if (counts.size === 0) say('  none')
}

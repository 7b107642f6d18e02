import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { BillingEvent, RiskBand } from '@churnwatch/contract'
import { getAlert, insertBillingEvents, saveScores, withTransaction, writeAlerts, type AlertRow, type ScoreRow } from '@churnwatch/storage'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSystem, type TestSystem } from './system.js'

const T0 = '2026-03-01T12:00:00.000Z'
const NO_USAGE = { feature: 'days_since_last_activity', value: 21, contribution: 0.8, sentence: 'No product usage in the last 21 days' }
const FAILED_PAYMENTS = { feature: 'failed_payments_90d', value: 2, contribution: 0.3, sentence: '2 failed payments in the last 90 days' }

function score(customerId: string, probability: number, band: RiskBand, mrr: number, plan: string, asOf = T0, drivers = [NO_USAGE, FAILED_PAYMENTS]): ScoreRow & { material: boolean } {
  return {
    customerId,
    probability,
    band,
    drivers,
    features: { days_since_last_activity: 21, mrr },
    plan,
    mrr,
    revenueAtRisk: Math.round(probability * mrr),
    modelVersion: 'gbdt-2026-02-01-abcdef01',
    asOf,
    scoredAt: asOf,
    material: true,
  }
}

function alert(alertId: string, customerId: string, kind: AlertRow['kind'], createdAt: string, revenueAtRisk: number, overrides: Partial<AlertRow> = {}): AlertRow {
  return {
    alertId,
    customerId,
    kind,
    status: 'open',
    probability: 0.81,
    revenueAtRisk,
    drivers: [NO_USAGE],
    play: 'Call the account owner this week',
    createdAt,
    updatedAt: createdAt,
    acknowledgedAt: null,
    resolvedAt: null,
    resolution: null,
    ...overrides,
  }
}

// Billing history for the metrics page (services/api/test/metrics.int.test.ts computes its figures by hand):
// January 2026 starts with A 1000, B 2000, C 3000, E 4000 (4 customers, $100.00 MRR); C ends
// (involuntary, 3000), D starts and ends; A expands by 500. Churn 1/4 = 25.0%, gross 3000/10000 =
// 30.0%, net (3000 - 500)/10000 = 25.0%, early churn 1 (D).
let seq = 0
const billing = (customerId: string, type: BillingEvent['type'], occurredAt: string, extra: Record<string, unknown> = {}) =>
  ({ eventId: `m-${++seq}`, customerId, occurredAt, kind: 'billing', type, currency: 'USD', ...extra }) as BillingEvent
const BILLING: BillingEvent[] = [
  billing('A', 'subscription_started', '2025-12-01T00:00:00Z', { mrr: 1000 }),
  billing('A', 'subscription_changed', '2026-01-10T00:00:00Z', { mrr: 1500 }),
  billing('B', 'subscription_started', '2025-12-15T00:00:00Z', { mrr: 2000 }),
  billing('B', 'subscription_canceled', '2026-01-20T00:00:00Z', { reason: 'too_expensive', voluntary: true }),
  billing('B', 'subscription_ended', '2026-02-05T00:00:00Z', { reason: 'too_expensive', voluntary: true }),
  billing('C', 'subscription_started', '2025-09-01T00:00:00Z', { mrr: 3000 }),
  billing('C', 'payment_failed', '2026-01-10T00:00:00Z', { amount: 3000 }),
  billing('C', 'subscription_ended', '2026-01-25T00:00:00Z', { reason: 'payment_failed', voluntary: false }),
  billing('D', 'subscription_started', '2026-01-05T00:00:00Z', { mrr: 500 }),
  billing('D', 'subscription_ended', '2026-01-28T00:00:00Z', { reason: 'no_value', voluntary: true }),
  billing('E', 'subscription_started', '2025-10-01T00:00:00Z', { mrr: 4000 }),
]

/** Waiting for what a page shows after a navigation: on the condition, never on time. */
const POLL = { timeout: 20_000, interval: 100 }

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** Serious or critical axe-core violations on the page as it is now (axe injected from node_modules). */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') stays in force.
  await page.evaluate(AXE_SOURCE)
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }> } }).axe
    return (await axe.run(document)).violations
  })
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.map((n) => n.target))}`)
}

/** The worklist rows on screen: customer, band, probability, revenue at risk. */
async function worklistRows(page: Page): Promise<string[][]> {
  await page.locator('table.worklist tbody tr').first().waitFor()
  return page.locator('table.worklist tbody tr').evaluateAll((rows) =>
    rows.map((row) => Array.from(row.querySelectorAll('th, td')).slice(0, 4).map((cell) => (cell.textContent ?? '').trim())),
  )
}

/** With CONSOLE_SCREENSHOTS=<dir>, the run saves what it sees (for the README and for review). */
async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SCREENSHOTS
  if (dir) await page.screenshot({ path: join(dir, `console-${name}.jpg`), fullPage: true, type: 'jpeg', quality: 70 })
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('navigation', { name: 'Pages' }).waitFor()
}

describe('the console in Chromium against the real API', () => {
  let system: TestSystem
  let admin: BrowserContext
  let page: Page

  beforeAll(async () => {
    system = await startSystem('e2e', T0)
    await withTransaction(system.pool, async (tx) => {
      // acme's history: low → medium → high; its latest drivers add failed payments.
      await saveScores(tx, [score('acme', 0.15, 'low', 4_900, 'pro', '2026-01-01T12:00:00.000Z', [NO_USAGE])])
      await saveScores(tx, [score('acme', 0.42, 'medium', 4_900, 'pro', '2026-02-01T12:00:00.000Z', [NO_USAGE])])
      await saveScores(tx, [
        score('acme', 0.81, 'high', 4_900, 'pro'),
        score('globex', 0.62, 'high', 12_000, 'enterprise'),
        score('initech', 0.55, 'high', 2_000, 'starter'),
        score('umbrella', 0.35, 'medium', 30_000, 'enterprise'),
        score('hooli', 0.25, 'medium', 1_000, 'starter'),
        score('stark', 0.05, 'low', 9_900, 'pro'),
        // Enough low-risk customers for a second page: z-NNN at 10% of NNN × $1.00, so $0.NN0 at risk.
        ...Array.from({ length: 55 }, (_, i) => score(`z-${String(i + 1).padStart(3, '0')}`, 0.1, 'low', 100 * (i + 1), 'starter')),
      ])
      await insertBillingEvents(tx, BILLING)
      await writeAlerts(tx, [
        alert('al-acme', 'acme', 'risk_high', T0, 3_969),
        alert('al-acme-old', 'acme', 'usage_drop', '2026-02-01T12:00:00.000Z', 2_058, {
          status: 'resolved',
          resolvedAt: '2026-02-03T12:00:00.000Z',
          resolution: 'customer re-engaged',
        }),
        alert('al-globex', 'globex', 'payment_failed', '2026-02-28T12:00:00.000Z', 7_440),
        alert('al-initech', 'initech', 'usage_drop', '2026-02-27T12:00:00.000Z', 1_100),
      ])
    })
    admin = await system.browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Paris', locale: 'en-US', acceptDownloads: true })
    admin.setDefaultTimeout(20_000)
    page = await admin.newPage()
  })
  afterAll(async () => {
    await admin?.close()
    await system?.close()
  })

  it('signs in with a pasted key, keeps the deep link’s filters, and never stores the key in the page', async () => {
    await page.goto(`${system.baseUrl}/app/#/worklist?band=high`)
    await page.getByRole('heading', { name: 'Sign in to churnwatch' }).waitFor()
    expect(await seriousViolations(page)).toEqual([])
    await signIn(page, system.keys.admin)
    expect(page.url()).toBe(`${system.baseUrl}/app/#/worklist?band=high`)
    // Ranked by revenue at risk: round(p × MRR) in cents, hand-computed.
    await expect.poll(() => worklistRows(page), POLL).toEqual([
      ['globex', 'High risk', '62.0%', '$74.40'],
      ['acme', 'High risk', '81.0%', '$39.69'],
      ['initech', 'High risk', '55.0%', '$11.00'],
    ])
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, url: location.href }))
    expect(stored).not.toContain(system.keys.admin)
    expect(stored).not.toContain('cw_session')
    const cookies = await admin.cookies()
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path }))).toEqual([
      { name: 'cw_session', httpOnly: true, sameSite: 'Strict', path: '/v1' },
    ])
    expect(cookies[0]?.value).not.toContain(system.keys.admin.split('_')[2])
    expect(await seriousViolations(page)).toEqual([])
  })

  it('filters and re-ranks the worklist through the URL, and exports exactly the rows shown', async () => {
    await page.getByRole('button', { name: 'medium' }).click()
    await page.waitForURL(/band=high%2Cmedium/)
    await page.getByLabel('Rank by').selectOption('probability')
    await page.waitForURL(/sort=probability/)
    expect(page.url()).toBe(`${system.baseUrl}/app/#/worklist?band=high%2Cmedium&sort=probability`)
    await expect.poll(() => worklistRows(page), POLL).toEqual([
      ['acme', 'High risk', '81.0%', '$39.69'],
      ['globex', 'High risk', '62.0%', '$74.40'],
      ['initech', 'High risk', '55.0%', '$11.00'],
      ['umbrella', 'Medium risk', '35.0%', '$105.00'],
      ['hooli', 'Medium risk', '25.0%', '$2.50'],
    ])
    // Dates in the browser's zone (Paris, UTC+1), UTC on hover.
    const scored = page.locator('table.worklist tbody tr').first().locator('time')
    expect(await scored.textContent()).toBe('Mar 1, 2026, 1:00 PM')
    expect(await scored.getAttribute('title')).toBe('2026-03-01 12:00:00 UTC')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
    const path = await download.path()
    const lines = readFileSync(path, 'utf8').trim().split('\r\n')
    expect(lines[0]).toBe('customerId,band,probability,revenueAtRisk,mrr,plan,topDriver,scoredAt')
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 4).join(','))).toEqual([
      'acme,high,0.81,3969',
      'globex,high,0.62,7440',
      'initech,high,0.55,1100',
      'umbrella,medium,0.35,10500',
      'hooli,medium,0.25,250',
    ])
    await screenshot(page, 'worklist')
  })

  it('pages the worklist with keyset cursors in the URL: 50 rows, then the rest', async () => {
    await page.goto(`${system.baseUrl}/app/#/worklist?band=low`)
    // By revenue at risk: z-055 ($5.50) … z-050 ($5.00), stark ($4.95), z-049 … z-007; then z-006 … z-001.
    await expect.poll(async () => (await worklistRows(page)).length, POLL).toBe(50)
    const first = await worklistRows(page)
    expect(first[0]).toEqual(['z-055', 'Low risk', '10.0%', '$5.50'])
    expect(first[6]).toEqual(['stark', 'Low risk', '5.0%', '$4.95'])
    expect(first[49]).toEqual(['z-007', 'Low risk', '10.0%', '$0.70'])
    await page.getByRole('link', { name: 'Next page' }).click()
    await page.waitForURL(/cursor=/)
    await expect.poll(() => worklistRows(page), POLL).toEqual(
      [6, 5, 4, 3, 2, 1].map((n) => [`z-00${n}`, 'Low risk', '10.0%', `$0.${n}0`]),
    )
    expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0)
    await page.getByRole('link', { name: 'First page' }).click()
    await expect.poll(async () => (await worklistRows(page))[0], POLL).toEqual(['z-055', 'Low risk', '10.0%', '$5.50'])
  })

  it('opens an account: risk over time with the band thresholds, drivers as sentences, alerts; acknowledging changes it', async () => {
    await page.goto(`${system.baseUrl}/app/#/worklist?band=high`)
    await page.getByRole('link', { name: 'acme' }).click()
    await page.getByRole('heading', { name: 'acme', level: 1 }).waitFor()
    expect(page.url()).toBe(`${system.baseUrl}/app/#/customers/acme`)
    await page.locator('.chart canvas').waitFor()
    // No model is registered, so the scorer's default thresholds are drawn.
    expect(await page.locator('.chart').getAttribute('aria-label')).toBe(
      'Churn probability over 3 scores, now 81.0%; high-risk threshold 50.0%, medium 20.0%',
    )
    expect(await page.locator('.summary').textContent()).toContain('+39.0 pts since')
    // The chart's numbers, one click away.
    await page.getByText('Show the scores as a table').click()
    expect(await page.locator('table.history tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).slice(0, 3).map((c) => (c.textContent ?? '').trim())))).toEqual([
      ['Mar 1, 2026, 1:00 PM', '81.0%', 'High risk'],
      ['Feb 1, 2026, 1:00 PM', '42.0%', 'Medium risk'],
      ['Jan 1, 2026, 1:00 PM', '15.0%', 'Low risk'],
    ])
    expect(await page.locator('ul.drivers li').allTextContents()).toEqual([
      'No product usage in the last 21 days',
      '2 failed payments in the last 90 days' + 'new since the previous score',
    ])
    const open = page.getByRole('article', { name: 'High risk' })
    expect(await open.locator('.status').textContent()).toBe('open')
    expect(await page.getByRole('article', { name: 'Usage drop' }).locator('.status').textContent()).toBe('resolved')
    expect(await seriousViolations(page)).toEqual([])

    system.setNow('2026-03-02T09:30:00.000Z')
    await open.getByRole('button', { name: 'Acknowledge' }).click()
    await open.locator('.status', { hasText: 'acknowledged' }).waitFor()
    expect(await open.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0)
    expect(await open.textContent()).toContain('acknowledged Mar 2, 2026, 10:30 AM')
    await screenshot(page, 'account')
    expect(await getAlert(system.pool, 'al-acme')).toMatchObject({ status: 'acknowledged', acknowledgedAt: '2026-03-02T09:30:00.000Z' })
  })

  it('shows the problem detail of an API error instead of a blank page', async () => {
    await page.goto(`${system.baseUrl}/app/#/customers/nobody`)
    const error = page.getByRole('alert')
    await error.waitFor()
    expect(await error.textContent()).toBe('Not found (404)unknown customer "nobody"')
  })

  it('lists open alerts by kind, newest or largest first, and acknowledges in bulk', async () => {
    await page.goto(`${system.baseUrl}/app/#/alerts`)
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor()
    await page.locator('article.alert').first().waitFor()
    const titles = () => page.locator('article.alert h3').allTextContents()
    await expect.poll(titles, POLL).toEqual(['Payment failed · globex', 'Usage drop · initech'])
    await page.getByLabel('Order').selectOption('largest')
    await page.waitForURL(/order=largest/)
    await expect.poll(titles, POLL).toEqual(['Payment failed · globex', 'Usage drop · initech'])
    await page.getByRole('button', { name: /Usage drop/ }).click()
    await page.waitForURL(/kind=usage_drop/)
    await page.locator('article.alert h3', { hasText: 'Usage drop · initech' }).waitFor()
    await expect.poll(titles, POLL).toEqual(['Usage drop · initech'])
    expect(await seriousViolations(page)).toEqual([])
    await page.goto(`${system.baseUrl}/app/#/alerts`)
    await page.locator('article.alert').nth(1).waitFor()
    await page.getByLabel('Select alert al-globex').check()
    await page.getByLabel('Select alert al-initech').check()
    await screenshot(page, 'alerts')
    await page.getByRole('button', { name: 'Acknowledge selected (2)' }).click()
    await page.getByText('Acknowledged 2 alerts.').waitFor()
    expect((await getAlert(system.pool, 'al-globex'))?.status).toBe('acknowledged')
    expect((await getAlert(system.pool, 'al-initech'))?.status).toBe('acknowledged')
  })

  it('shows churn metrics per period and the retention heatmap as tables whose figures are the API’s', async () => {
    await page.goto(`${system.baseUrl}/app/#/metrics?from=2026-01-01&to=2026-03-01`)
    await page.locator('table.metrics tbody tr').first().waitFor()
    const rows = await page.locator('table.metrics tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((cell) => (cell.textContent ?? '').trim())),
    )
    expect(rows[0]).toEqual(['2026-01', '4', '1', '0 / 1', '25.0%', '$100.00', '30.0%', '25.0%', '1', 'no_value (1), payment_failed (1), too_expensive (1)'])
    const fromApi = await page.evaluate(() =>
      fetch('/v1/metrics/churn?from=2026-01-01&to=2026-03-01').then((r) => r.json() as Promise<{ periods: Array<{ customerChurnRate: number; grossMrrChurnRate: number }> }>),
    )
    expect(fromApi.periods[0]).toMatchObject({ customerChurnRate: 0.25, grossMrrChurnRate: 0.3 })
    expect(await page.getByRole('columnheader', { name: 'Gross MRR churn' }).getAttribute('title')).toBe('(churned MRR + contraction) ÷ MRR at start')
    // Retention as known on the range's end: A and B signed up in December, B is gone by March 1;
    // C (September) ended on January 25.
    await page.locator('table.retention tbody tr').nth(3).waitFor()
    const retention = await page.locator('table.retention tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((cell) => (cell.textContent ?? '').trim())),
    )
    expect(retention).toEqual([
      ['2025-09', '1', '100.0%', '100.0%', '100.0%', '100.0%', '100.0%', '0.0%', '0.0%'],
      ['2025-10', '1', '100.0%', '100.0%', '100.0%', '100.0%', '100.0%', '100.0%', ''],
      ['2025-12', '2', '100.0%', '100.0%', '100.0%', '50.0%', '', '', ''],
      ['2026-01', '1', '100.0%', '0.0%', '0.0%', '', '', '', ''],
    ])
    expect(await page.locator('table.retention tbody tr').nth(2).locator('td').nth(4).getAttribute('title')).toBe('1 of 2 customers')
    expect(await seriousViolations(page)).toEqual([])
    await page.getByLabel('Interval').selectOption('quarter')
    await page.waitForURL(/interval=quarter/)
    expect(page.url()).toBe(`${system.baseUrl}/app/#/metrics?from=2026-01-01&interval=quarter&to=2026-03-01`)
  })

  it('refuses a write whose CSRF token is missing or forged with a 403', async () => {
    const statuses = await page.evaluate(async () => {
      const ack = (headers: Record<string, string>) => fetch('/v1/alerts/al-acme/resolve', { method: 'POST', headers, credentials: 'same-origin' }).then((r) => r.status)
      return [await ack({}), await ack({ 'x-csrf-token': 'forged-forged-forged-forged-forged' })]
    })
    expect(statuses).toEqual([403, 403])
    expect((await getAlert(system.pool, 'al-acme'))?.status).toBe('acknowledged')
  })

  it('goes back to sign-in when the session expires, keeping the page and its filters', async () => {
    await page.goto(`${system.baseUrl}/app/#/worklist?band=medium`)
    await page.locator('table.worklist').waitFor()
    system.setNow('2026-03-03T13:00:00.000Z')
    await page.getByLabel('Rank by').selectOption('probability')
    await page.getByText('Your session has ended. Sign in again to continue where you were.').waitFor()
    expect(page.url()).toBe(`${system.baseUrl}/app/#/worklist?band=medium&sort=probability`)
    await signIn(page, system.keys.admin)
    await expect.poll(() => worklistRows(page), POLL).toEqual([
      ['umbrella', 'Medium risk', '35.0%', '$105.00'],
      ['hooli', 'Medium risk', '25.0%', '$2.50'],
    ])
  })

  it('signs out: the cookie is gone and the API no longer knows the session', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to churnwatch' }).waitFor()
    expect(await admin.cookies()).toEqual([])
    expect(await page.evaluate(() => fetch('/v1/session').then((r) => r.status))).toBe(401)
  })

  it('shows a read-only key no acknowledge button, and the API refuses it anyway; fits a 390 px phone', async () => {
    const reader = await system.browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'UTC', locale: 'en-US' })
    reader.setDefaultTimeout(20_000)
    try {
      const phone = await reader.newPage()
      await phone.goto(`${system.baseUrl}/app/#/worklist`)
      await signIn(phone, system.keys.read)
      await phone.locator('table.worklist').waitFor()
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth)
      expect(overflow).toBeLessThanOrEqual(390)
      expect(await seriousViolations(phone)).toEqual([])
      await phone.goto(`${system.baseUrl}/app/#/customers/acme`)
      await phone.getByRole('article', { name: 'High risk' }).waitFor()
      await screenshot(phone, 'account-phone')
      expect(await phone.getByRole('button', { name: 'Resolve' }).count()).toBe(0)
      expect(await phone.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0)
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
      expect(await seriousViolations(phone)).toEqual([])
      await phone.goto(`${system.baseUrl}/app/#/alerts`)
      await phone.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor()
      expect(await phone.getByRole('button', { name: /Acknowledge selected/ }).count()).toBe(0)
      const refused = await phone.evaluate(async () => {
        const session = (await fetch('/v1/session').then((r) => r.json())) as { csrfToken: string }
        const response = await fetch('/v1/alerts/al-acme/resolve', { method: 'POST', headers: { 'x-csrf-token': session.csrfToken } })
        return { status: response.status, body: (await response.json()) as { detail: string } }
      })
      expect(refused).toEqual({ status: 403, body: expect.objectContaining({ detail: 'this operation needs the "alerts:write" scope; the key has: read' }) })
    } finally {
      await reader.close()
    }
  })
})

import { describe, expect, it } from 'vitest'
import { simulateBusiness } from './simulate.js'
import type { SimEvent, SimulateOptions } from './types.js'

const OPTIONS: SimulateOptions = { customers: 1_500, months: 12, seed: 31, eventsPerActiveUserPerDay: 0.2 }
const RARE = new Set(['export_all_data', 'seat_downgrade_requested'])
const DAY = 86_400_000

const isRare = (e: SimEvent): boolean => e.kind === 'usage' && RARE.has(e.action)

describe('rare negative actions (option rareActions)', () => {
  const plain = [...simulateBusiness(OPTIONS).events()]
  const withRare = simulateBusiness({ ...OPTIONS, rareActions: true })
  const events = [...withRare.events()]

  it('adds only the rare actions: without them (and their ids) the stream and the truth are the default ones', () => {
    expect(plain.some(isRare)).toBe(false)
    const strip = (list: SimEvent[]) => list.filter((e) => !isRare(e)).map(({ eventId: _id, ...rest }) => JSON.stringify(rest))
    expect(strip(events)).toEqual(strip(plain))
    expect(withRare.truth()).toEqual(simulateBusiness(OPTIONS).truth())
    expect(events.filter(isRare).length).toBeGreaterThan(100)
  })

  it('makes them far more frequent in the 60 days before a voluntary end than in the last 60 days of customers who stay', () => {
    const rareAt = new Map<string, number[]>()
    for (const e of events) if (isRare(e)) rareAt.set(e.customerId, [...(rareAt.get(e.customerId) ?? []), Date.parse(e.occurredAt)])
    const usedIn = (customerId: string, from: number, to: number) => (rareAt.get(customerId) ?? []).some((t) => t >= from && t < to)
    const end = Date.parse(withRare.end)
    const truth = withRare.truth()
    const churners = truth.filter((t) => t.endedAt !== null && t.voluntary === true)
    const stayers = truth.filter((t) => t.endedAt === null && Date.parse(t.startedAt) < end - 60 * DAY)
    const share = (list: typeof truth, window: (t: (typeof truth)[number]) => [number, number]) =>
      list.filter((t) => usedIn(t.customerId, ...window(t))).length / list.length
    const beforeEnd = share(churners, (t) => [Date.parse(t.endedAt ?? '') - 60 * DAY, Date.parse(t.endedAt ?? '')])
    const staying = share(stayers, () => [end - 60 * DAY, end])
    expect(churners.length).toBeGreaterThan(100)
    expect(stayers.length).toBeGreaterThan(500)
    // Everyone: 1 - (1 - 0.0013)^60 = 7.5 % in 60 days; leaving customers draw 0.035 a day while winding down.
    expect(staying).toBeGreaterThan(0.03)
    expect(staying).toBeLessThan(0.13)
    expect(beforeEnd).toBeGreaterThan(3 * staying)
  })
})

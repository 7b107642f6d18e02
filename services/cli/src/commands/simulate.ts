import { createWriteStream } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import { simulateBusiness, truthToCsv } from '@churnwatch/simulator'
import type { Output } from '../output.js'

export interface SimulateOptions {
  customers: number
  months: number
  seed: number
  out: string
  start?: string
  eventsPerUserDay?: number
  /** Contract terms on with this share of annual contracts; absent = off. */
  annualShare?: number
  noticeDays?: number
  /** Segments, owners and account events. */
  accounts?: boolean
}

/** Writes DIR/events.ndjson (ordered by occurredAt) and DIR/truth.csv for a seeded business. */
export async function simulate(options: SimulateOptions, output: Output): Promise<{ events: number; customers: number }> {
  const simulation = simulateBusiness({
    customers: options.customers,
    months: options.months,
    seed: options.seed,
    ...(options.start ? { start: options.start } : {}),
    ...(options.eventsPerUserDay !== undefined ? { eventsPerActiveUserPerDay: options.eventsPerUserDay } : {}),
    ...(options.annualShare !== undefined ? { contracts: { annualShare: options.annualShare, noticeDays: options.noticeDays } } : {}),
    ...(options.accounts === true ? { accounts: true } : {}),
  })
  await mkdir(options.out, { recursive: true })
  const eventsPath = join(options.out, 'events.ndjson')
  const stream = createWriteStream(eventsPath)
  const startMs = Date.parse(simulation.start)
  const days = Math.round((Date.parse(simulation.end) - startMs) / 86_400_000)
  const progress = output.progress('simulating', days, 'days')
  let events = 0
  for (const event of simulation.events()) {
    events += 1
    if (!stream.write(`${JSON.stringify(event)}\n`)) await once(stream, 'drain')
    if (events % 20_000 === 0) {
      progress.update(Math.max(0, Math.floor((Date.parse(event.occurredAt) - startMs) / 86_400_000)), `${events} events`)
    }
  }
  stream.end()
  await once(stream, 'finish')
  progress.update(days, `${events} events`)
  progress.stop()
  const truth = simulation.truth()
  await writeFile(join(options.out, 'truth.csv'), truthToCsv(truth))
  output.info(`wrote ${events} events to ${eventsPath} and ${truth.length} customers to ${join(options.out, 'truth.csv')}`)
  return { events, customers: truth.length }
}

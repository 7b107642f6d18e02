import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export interface InfraEndpoints {
  kafkaBrokers: string[]
  databaseUrl: string
  source: 'environment' | 'infra' | 'testcontainers'
}

export const HOW_TO_START_INFRA =
  'No Kafka/PostgreSQL for integration tests. Run `npm run infra:up` (needs Java 17 and Maven; starts a local ' +
  'Kafka broker and finds or starts PostgreSQL), or set KAFKA_BROKERS and DATABASE_URL, or make a Docker engine ' +
  'reachable so testcontainers can start them. `npm test` does the first by itself.'

/** Endpoints from KAFKA_BROKERS/DATABASE_URL, else from `.infra/env.json` written by `infra up`. */
export function locateInfra(env: Record<string, string | undefined>, fromDir: string): InfraEndpoints | undefined {
  if (env.KAFKA_BROKERS && env.DATABASE_URL) {
    return { kafkaBrokers: env.KAFKA_BROKERS.split(','), databaseUrl: env.DATABASE_URL, source: 'environment' }
  }
  const file = findUp('.infra/env.json', fromDir)
  if (!file) return undefined
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { KAFKA_BROKERS?: string; DATABASE_URL?: string }
  if (!saved.KAFKA_BROKERS || !saved.DATABASE_URL) return undefined
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? saved.KAFKA_BROKERS).split(','),
    databaseUrl: env.DATABASE_URL ?? saved.DATABASE_URL,
    source: 'infra',
  }
}

function findUp(relative: string, fromDir: string): string | undefined {
  let dir = fromDir
  for (;;) {
    const candidate = join(dir, relative)
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

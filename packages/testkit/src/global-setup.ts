import type { TestProject } from 'vitest/node'
import { isDockerReachable } from './docker.js'
import { HOW_TO_START_INFRA, locateInfra, type InfraEndpoints } from './locate.js'
import { checkKafka, checkPostgres } from './probe.js'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[]
    databaseUrl: string
  }
}

let stopContainers: (() => Promise<void>) | undefined

/**
 * vitest globalSetup for integration tests: finds real Kafka and PostgreSQL (environment,
 * then `infra up`, then testcontainers where a Docker engine is reachable) and provides them.
 */
export async function setup(project: TestProject): Promise<void> {
  const env = process.env
  let infra = locateInfra(env, process.cwd())
  if (!infra && (await isDockerReachable(env.DOCKER_HOST))) infra = await startContainers()
  if (!infra) throw new Error(HOW_TO_START_INFRA)
  await Promise.all([checkKafka(infra.kafkaBrokers), checkPostgres(infra.databaseUrl)]).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${HOW_TO_START_INFRA}`, { cause: err })
  })
  project.provide('kafkaBrokers', infra.kafkaBrokers)
  project.provide('databaseUrl', infra.databaseUrl)
}

export async function teardown(): Promise<void> {
  await stopContainers?.()
}

async function startContainers(): Promise<InfraEndpoints> {
  const [{ KafkaContainer }, { PostgreSqlContainer }] = await Promise.all([
    import('@testcontainers/kafka'),
    import('@testcontainers/postgresql'),
  ])
  const [kafka, postgres] = await Promise.all([
    new KafkaContainer('apache/kafka:4.1.1').withKraft().start(),
    new PostgreSqlContainer('postgres:17').withDatabase('churnwatch').start(),
  ])
  stopContainers = async () => {
    await Promise.all([kafka.stop(), postgres.stop()])
  }
  return {
    kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
    databaseUrl: postgres.getConnectionUri(),
    source: 'testcontainers',
  }
}

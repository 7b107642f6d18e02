import { readScoresByIds, type Pool } from '@churnwatch/storage'
import { toRisk } from './risk.js'
import { riskSchema } from './schemas.js'
import { createScoreLoader } from './score-loader.js'
import { zodSerializer } from './serializer.js'

/** Serialised `GET /v1/customers/{id}/risk` documents, as the route sends them and the cache holds them. */
export interface RiskDocumentReader {
  /** One customer's document, or undefined without a current score (concurrent calls share a query). */
  read: (customerId: string) => Promise<string | undefined>
  /**
   * The documents of those customers that have a current score, read in one query and serialised
   * when called, so that a caller can spread the work over several turns of the event loop.
   */
  readMany: (customerIds: readonly string[]) => Promise<Map<string, () => string>>
}

export function createRiskDocumentReader(pool: Pool): RiskDocumentReader {
  const loader = createScoreLoader(pool)
  // Checked against the schema and serialised once per document, whoever reads it.
  const serialize = zodSerializer(riskSchema, 'GET', '/v1/customers/:id/risk')
  return {
    async read(customerId) {
      const score = await loader.load(customerId)
      return score ? serialize(toRisk(score)) : undefined
    },
    async readMany(customerIds) {
      const scores = await readScoresByIds(pool, customerIds)
      return new Map([...scores].map(([id, score]) => [id, () => serialize(toRisk(score))]))
    },
  }
}

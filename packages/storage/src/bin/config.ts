import { z } from 'zod'

export const migrateConfigSchema = z.object({ DATABASE_URL: z.url() })

/** The only reader of process.env for the migrate command. */
export function readMigrateEnv(): Record<string, string | undefined> {
  return { DATABASE_URL: process.env.DATABASE_URL }
}

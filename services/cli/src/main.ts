import { ConfigError } from '@churnwatch/config'
import { CommanderError } from 'commander'
import { readEnv } from './config.js'
import { createCliContext } from './context.js'
import { createOutput } from './output.js'
import { buildProgram } from './program.js'

const output = createOutput({ stdout: process.stdout, stderr: process.stderr })
const context = createCliContext(readEnv(), output)
const program = buildProgram(context).exitOverride()

try {
  await program.parseAsync(process.argv)
  await context.close()
} catch (err) {
  await context.close().catch(() => undefined)
  if (err instanceof CommanderError) process.exit(err.exitCode)
  output.info(`error: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}

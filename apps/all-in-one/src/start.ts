import { ConfigError, loadConfig } from '@churnwatch/config'
import { createLogger } from '@churnwatch/observability'
import closeWithGrace from 'close-with-grace'
import { startAllInOne } from './all-in-one.js'
import { allInOneConfigSchema, readEnv } from './config.js'

// `npm start`: every service in this process until Ctrl-C / SIGTERM.
try {
  const config = loadConfig(allInOneConfigSchema, readEnv())
  const log = createLogger({ service: 'churnwatch', level: config.LOG_LEVEL })
  const system = await startAllInOne(config, log)
  log.info({ api: system.url, docs: `${system.url}/docs` }, 'churnwatch running')
  closeWithGrace({ delay: 30_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal }, 'shutting down')
    await system.stop()
  })
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
  process.exit(1)
}

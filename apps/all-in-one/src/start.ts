import { ConfigError, loadConfig } from '@churnwatch/config'
import { closeGracefully, createLogger } from '@churnwatch/observability'
import { startAllInOne } from './all-in-one.js'
import { allInOneConfigSchema, readEnv } from './config.js'

// `npm start`: every service in this process until Ctrl-C / SIGTERM.
try {
  const config = loadConfig(allInOneConfigSchema, readEnv())
  const log = createLogger({ service: 'churnwatch', level: config.LOG_LEVEL })
  const system = await startAllInOne(config, log)
  // The data clock (the default here) scores a replayed history, such as the demo's, as of its end.
  log.info({ api: system.url, docs: `${system.url}/docs`, console: system.consoleUrl, scorerClock: config.SCORER_CLOCK }, 'churnwatch running')
  if (system.consoleUrl) process.stdout.write(`console  ${system.consoleUrl}   (sign in with an API key: churnwatch keys create --scope read)\n`)
  closeGracefully({ log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal }, 'shutting down')
    await system.stop()
  })
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`)
  process.exit(1)
}

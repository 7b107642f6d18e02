import closeWithGrace from 'close-with-grace'
import type { Logger } from 'pino'

// The signals that ask for a graceful stop. A terminal's Ctrl-C and `kill -TERM -<pgid>` reach every
// process of the group (npm and node), and npm forwards its own copy to node: one stop request often
// arrives as two or three signals.
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const
type StopSignal = (typeof STOP_SIGNALS)[number]

export interface GracefulShutdownOptions {
  log: Logger
  /** The stop is abandoned (exit 1) after this long. */
  delayMs?: number
}

export interface ShutdownReason {
  signal?: StopSignal
  err?: Error
}

/**
 * Runs `stop` once on SIGTERM, SIGINT or SIGHUP, an uncaught exception or an unhandled rejection,
 * then exits (0 after a signal, 1 after an error, a failed stop or the deadline). Signals that
 * arrive while stopping are logged and ignored, so a repeated signal never cuts the graceful stop
 * short; only the deadline (or SIGKILL) does.
 */
export function closeGracefully(options: GracefulShutdownOptions, stop: (reason: ShutdownReason) => Promise<void>): void {
  const { log } = options
  let signal: StopSignal | undefined
  let stopping = false
  const grace = closeWithGrace(
    {
      delay: options.delayMs ?? 30_000,
      skip: [...STOP_SIGNALS],
      logger: { error: (value: unknown) => (value instanceof Error ? log.error({ err: value }, 'graceful stop failed') : log.error(String(value))) },
    },
    async ({ err }) => {
      stopping = true
      await stop(err ? { err } : signal ? { signal } : {})
    },
  )
  for (const name of STOP_SIGNALS) {
    process.on(name, (received: StopSignal) => {
      if (stopping || signal) {
        log.warn({ signal: received }, 'already shutting down: signal ignored')
        return
      }
      signal = received
      grace.close()
    })
  }
}

import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }
export type LogLevel = LevelWithSilent

export interface LoggerOptions {
  service: string
  level?: LogLevel
  /** Where JSON lines go; stdout when omitted. Tests pass a stream to assert on log records. */
  destination?: DestinationStream
}

// Secrets that must never reach a log line, wherever they are nested.
const REDACT_PATHS = [
  'secret',
  '*.secret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'DATABASE_URL',
  '*.DATABASE_URL',
]

/** Creates the pino JSON logger every service uses, tagged with `service`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  )
}

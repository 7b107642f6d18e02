export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './logger.js'
export { createMetricsRegistry, Counter, Gauge, Histogram, Registry } from './metrics.js'
export { startOpsServer, type OpsServer, type ReadinessCheck } from './ops-server.js'
export { closeGracefully, type GracefulShutdownOptions, type ShutdownReason } from './graceful-shutdown.js'

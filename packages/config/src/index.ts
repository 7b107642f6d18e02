export { loadConfig, ConfigError, type ConfigIssue } from './load-config.js'
export { databaseUrl, kafkaBrokers, kafkaSessionTimeoutMs, kafkaTopicPrefix, logLevel, tcpPort, LOG_LEVELS } from './fields.js'
export { envBoolean } from './fields.js'

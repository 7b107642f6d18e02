import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export { Counter, Gauge, Histogram, Registry }

/**
 * Creates a Prometheus registry for one process. Each service owns its registry
 * (no global default registry) so that several services can share a process in the demo.
 */
export function createMetricsRegistry(options: { service: string; defaultMetrics?: boolean }): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service: options.service })
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'churnwatch_' })
  return registry
}

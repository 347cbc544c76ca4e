/** What operators watch: Prometheus metrics of the calls and the process, and the readiness probe. */
export { AgentMetrics, type CallDirection, type MetricsOptions } from './metrics';
export { metricsRoute, serveMetrics, type MetricsServer } from './http';
export { ReadinessProbe, type Readiness, type ReadinessChecks } from './ready';

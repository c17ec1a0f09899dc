/** Injection token of the prom-client registry the service exposes at /metrics. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Injection tokens each app provides: its metrics registry, its logger and its readiness checks. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
export const LOGGER = Symbol('LOGGER');

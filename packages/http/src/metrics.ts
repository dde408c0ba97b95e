import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Registry, type Metric } from 'prom-client';
import { PUBLIC_ROUTE_CONFIG } from './public-route.js';

const DURATION = 'http_request_duration_seconds';
const DURATION_HELP = 'HTTP request latency by method and route';
const BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Requests of one method and route, counted in plain numbers: prom-client turns the labels into a
 * hash string on every call, a measurable share of a small request. The registry reads them when
 * `/metrics` is scraped.
 */
class RouteSeries {
  readonly statuses = new Map<number, number>();
  /** Per bucket, not cumulative; the last one is above every bound. */
  readonly buckets = new Array<number>(BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;

  constructor(
    readonly method: string,
    readonly route: string,
  ) {}

  record(status: number, seconds: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

interface MetricValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

/** The latency histogram in the shape prom-client's registry renders (what its own Histogram's `get()` returns). */
function latencyHistogram(all: () => Iterable<RouteSeries>, clear: () => void) {
  return {
    name: DURATION,
    help: DURATION_HELP,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      const values: MetricValue[] = [];
      for (const s of all()) {
        const labels = { method: s.method, route: s.route };
        let cumulative = 0;
        BUCKETS.forEach((le, i) => {
          cumulative += s.buckets[i]!;
          values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${DURATION}_bucket` });
        });
        values.push({ labels: { le: '+Inf', ...labels }, value: s.count, metricName: `${DURATION}_bucket` });
        values.push({ labels, value: s.sum, metricName: `${DURATION}_sum` });
        values.push({ labels, value: s.count, metricName: `${DURATION}_count` });
      }
      return { name: DURATION, help: DURATION_HELP, type: 'histogram', values, aggregator: 'sum' };
    },
    // Both metrics read the same series: resetting the registry starts them over together.
    reset: clear,
  };
}

/** A registry per app (not prom-client's global one), so several apps can live in one process and in tests. */
export function createMetrics(app: FastifyInstance, options: { defaultMetrics: boolean }): Registry {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  // Route pattern → method → series.
  const byRoute = new Map<string, Map<string, RouteSeries>>();
  const all = function* (): Iterable<RouteSeries> {
    for (const methods of byRoute.values()) yield* methods.values();
  };
  new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of all()) for (const [status, n] of s.statuses) this.inc({ method: s.method, route: s.route, status: String(status) }, n);
    },
  });
  registry.registerMetric(latencyHistogram(all, () => byRoute.clear()) as unknown as Metric);
  app.decorateRequest('metricsRoute', null);
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the raw URL, keeps label cardinality bounded.
    const route = request.metricsRoute ?? request.routeOptions.url ?? 'unmatched';
    let methods = byRoute.get(route);
    if (methods === undefined) byRoute.set(route, (methods = new Map()));
    let series = methods.get(request.method);
    if (series === undefined) methods.set(request.method, (series = new RouteSeries(request.method, route)));
    series.record(reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { config: PUBLIC_ROUTE_CONFIG }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return registry;
}

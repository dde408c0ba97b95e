import { Counter, Gauge, type Registry } from 'prom-client';
import type { UpstreamPool } from './upstreams/pool.js';

/** The gateway's own metrics, beside the request counters and histograms of @realchat/http. */
export interface GatewayMetrics {
  readonly verifyOutcomes: Counter<'outcome'>;
  readonly proxyErrors: Counter<'service' | 'kind'>;
  readonly rateLimited: Counter<'scope'>;
}

export function createGatewayMetrics(registry: Registry, pools: () => Iterable<UpstreamPool>): GatewayMetrics {
  new Gauge({
    name: 'gateway_upstream_instances',
    help: 'Upstream instances by service and state (available: healthy and not ejected)',
    labelNames: ['service', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of pools()) {
        const available = pool.availableCount();
        this.set({ service: pool.service, state: 'available' }, available);
        this.set({ service: pool.service, state: 'unavailable' }, pool.instances.length - available);
      }
    },
  });
  return {
    verifyOutcomes: new Counter({ name: 'gateway_token_verifications_total', help: 'Edge token verifications by outcome (valid, or the refusal reason)', labelNames: ['outcome'] as const, registers: [registry] }),
    proxyErrors: new Counter({ name: 'gateway_proxy_errors_total', help: 'Proxy failures by upstream service and kind', labelNames: ['service', 'kind'] as const, registers: [registry] }),
    rateLimited: new Counter({ name: 'gateway_rate_limited_total', help: 'Requests refused by a rate limit, by scope (ip, user)', labelNames: ['scope'] as const, registers: [registry] }),
  };
}

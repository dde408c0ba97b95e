import type { HealthCheckOptions } from './upstreams/health-checker.js';
import type { PassiveEjectionOptions } from './upstreams/pool.js';
import type { RouteEntry } from './upstreams/route-table.js';
import { GATEWAY_RULES, type AccessRule } from './edge/access-policy.js';
import type { SecurityHeaderOptions } from './edge/security-headers.js';

export interface RateLimitSetting {
  readonly limit: number;
  readonly windowMs: number;
}

/** Everything that shapes the gateway's behaviour; server.ts fills it from the environment. */
export interface GatewayConfig {
  /**
   * Routes known before the services say theirs: each remote service is routed at `/<name>` as soon
   * as it is known (configured or registered), and at its other prefixes once its manifest is read.
   */
  readonly routes: readonly RouteEntry[];
  /** Statically configured instances per service (base URLs). */
  readonly upstreams: Readonly<Record<string, readonly string[]>>;
  /** The gateway's own access rules (probes, docs); the services' come from their declarations. Unmatched paths need a valid token. */
  readonly access: readonly AccessRule[];
  /** Browser origins allowed by CORS (credentials allowed for the refresh cookie). */
  readonly corsOrigins: readonly string[];
  readonly hsts: SecurityHeaderOptions['hsts'];
  /** Largest request body in bytes (proxied or handled in process). */
  readonly bodyLimit: number;
  /** `false`: the socket peer is the client; otherwise the addresses/CIDRs of trusted proxies in front. */
  readonly trustProxy: false | readonly string[];
  readonly rateLimit: { readonly ip: RateLimitSetting | false; readonly user: RateLimitSetting | false };
  /** Open WebSockets one client address may hold on this gateway instance at once (hosted and proxied together). */
  readonly maxSocketsPerIp: number;
  readonly proxy: { readonly timeoutMs: number; readonly maxAttempts: number };
  readonly healthCheck: HealthCheckOptions;
  readonly ejection: PassiveEjectionOptions;
  /** Watching the service registry for self-registered instances. */
  readonly discovery: { readonly intervalMs: number } | false;
  /** Client addresses/CIDRs (or proxy-addr's `loopback`, ...) that may read `/metrics`; every other client gets 404. */
  readonly metricsAllow: readonly string[];
  /**
   * Services that, besides every statically configured one, need an available instance and a known
   * manifest for `/readyz` to answer 200 (no instance registered yet, or none healthy, is not ready);
   * `all`: every remote service known. The others are optional: their routes answer 503 until an instance appears.
   */
  readonly requiredServices: readonly string[] | 'all';
  /** The web app's build served at `/` (its pages under the web CSP), or none. */
  readonly web: { readonly root: string } | false;
  /** The upstreams' documents (manifest and API reference): refetched every `refreshMs`, every `retryMs` while a service's manifest is unknown. */
  readonly docs: { readonly title: string; readonly version: string; readonly refreshMs: number; readonly retryMs: number; readonly timeoutMs: number };
}

/** Defaults for every setting; a caller overrides what it needs (tests use short intervals). */
export function gatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    routes: [],
    upstreams: {},
    access: GATEWAY_RULES,
    corsOrigins: [],
    hsts: false,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    rateLimit: { ip: { limit: 600, windowMs: 60_000 }, user: { limit: 1200, windowMs: 60_000 } },
    maxSocketsPerIp: 64,
    proxy: { timeoutMs: 10_000, maxAttempts: 2 },
    healthCheck: { path: '/healthz', intervalMs: 5_000, timeoutMs: 2_000, unhealthyThreshold: 2, healthyThreshold: 2 },
    ejection: { consecutiveFailures: 3, cooloffMs: 10_000 },
    discovery: false,
    metricsAllow: ['127.0.0.1/8', '::1'],
    requiredServices: [],
    web: false,
    docs: { title: 'RealChat API', version: '0.1.0', refreshMs: 60_000, retryMs: 1_000, timeoutMs: 3_000 },
    ...overrides,
  };
}

import type { Verifier } from '@realchat/auth-verify';
import { systemClock, type Clock } from '@realchat/clock';
import { createHttpApp, type App } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import { createSocketEndpoints, type ServiceHost } from '@realchat/runtime';
import type { KeyValueStore } from '@realchat/store';
import { installBackground } from './background.js';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { installDocs } from './docs/docs.plugin.js';
import { installEdge } from './edge/edge.plugin.js';
import { normalizeTarget } from './edge/request-target.js';
import { securityHeaders } from './edge/security-headers.js';
import { createGatewayMetrics } from './metrics.js';
import { installProxy } from './proxy/proxy.plugin.js';
import { installUpgrades } from './proxy/upgrades.plugin.js';
import { installReadiness } from './readiness.js';
import { ServiceDirectory } from './upstreams/directory.js';
import type { UpstreamPool } from './upstreams/pool.js';
import { installWeb, WEB_RULES } from './web/web.plugin.js';

export interface GatewayDeps {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /**
   * Verifies tokens at the edge; the caller starts and closes it (with its revocation feed:
   * `createAuthentication` or, embedded, the token issuer's own).
   */
  readonly verifier: Pick<Verifier, 'verify' | 'status'>;
  /** Rate-limit counters and the service registry: memory when embedded, Redis when distributed (shared by every gateway instance). The caller closes it. */
  readonly store: KeyValueStore;
  /**
   * Services hosted in this process (embedded mode): their routes and WebSocket endpoints are
   * served here, without a proxy hop, under the rules they declare. The caller starts and stops it.
   */
  readonly host?: ServiceHost;
}

/** Operational handles, for readiness, tests and the CLI. */
export interface GatewayControl {
  readonly pools: ReadonlyMap<string, UpstreamPool>;
  /** Runs one round of active health checks now. */
  checkUpstreams(): Promise<void>;
  /** Rescans the service registry now (no-op without discovery). */
  refreshRegistry(): Promise<void>;
  /** Refetches the upstreams' OpenAPI documents (manifests and API reference) now. */
  refreshDocs(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    gateway: GatewayControl;
  }
}

/**
 * Builds the gateway (it does not listen): security headers on every answer, the edge checks,
 * the API reference, the hosted services' routes, the HTTP proxy, the upgrade dispatcher,
 * readiness, and the background work that keeps its view of the services current.
 */
export async function buildGateway(deps: GatewayDeps): Promise<App> {
  const { config, logger, store, verifier, host } = deps;
  const clock = deps.clock ?? systemClock;
  const trustProxy = config.trustProxy === false ? false : [...config.trustProxy];
  // Security headers on every answer (errors, preflights, proxied responses); /docs overrides its CSP.
  const app = createHttpApp({ logger, clock, bodyLimit: config.bodyLimit, trustProxy, defaultMetrics: false, responseHeaders: securityHeaders({ hsts: config.hsts }),
    // One spelling of every path for the router, the edge checks and the proxy alike.
    rewriteUrl: normalizeTarget,
  });
  const directory = new ServiceDirectory({
    routes: config.routes,
    upstreams: config.upstreams,
    hosted: { names: host?.services.map((s) => s.definition.name) ?? [], prefixes: host?.prefixes ?? [], accessRules: host?.accessRules ?? [] },
    baseRules: config.web === false ? config.access : [...config.access, ...WEB_RULES],
    clock,
    ejection: config.ejection,
    logger,
  });
  const ctx: GatewayContext = { config, logger, clock, verifier, store, directory, metrics: createGatewayMetrics(app.metrics, () => directory.pools.values()), trustProxy };

  const edge = await installEdge(app, ctx);
  const merger = await installDocs(app, ctx);
  await host?.register(app);
  await installWeb(app, ctx);
  await installProxy(app, ctx);
  installUpgrades(app, ctx, edge, host === undefined ? undefined : createSocketEndpoints(host.websockets));
  installReadiness(app, ctx);
  const background = installBackground(app, ctx, merger);
  app.decorate('gateway', { pools: directory.pools, ...background } satisfies GatewayControl);
  return app;
}

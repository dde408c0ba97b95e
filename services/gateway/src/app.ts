import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fastifyCors from '@fastify/cors';
import proxyAddr from '@fastify/proxy-addr';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { subscribeRevocations, type RevocationList, type Verifier } from '@realchat/auth-verify';
import type { EventBus, Subscription } from '@realchat/bus';
import { systemClock, type Clock } from '@realchat/clock';
import { createRegistryWatcher, type RegistryWatcher } from '@realchat/discovery';
import { PROBLEM_CONTENT_TYPE, toProblem } from '@realchat/errors';
import { createHttpApp, type App, type OpenApiDocument, type ServiceModule } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import { createRateLimiter, type KeyValueStore } from '@realchat/store';
import type { GatewayConfig } from './config.js';
import { OpenApiMerger } from './docs/openapi-merge.js';
import { AccessPolicy } from './edge/access-policy.js';
import { createUpgradeGuard, installEdgeGuard } from './edge/edge-guard.js';
import { DOCS_CSP, DOCS_OPENER_POLICY, securityHeaders } from './edge/security-headers.js';
import { createGatewayMetrics } from './metrics.js';
import type { ForwardedFacts } from './proxy/headers.js';
import { proxyRequest, type ProxyErrorKind } from './proxy/http-proxy.js';
import { nextTraceparent } from './proxy/traceparent.js';
import { createUpgradeProxy } from './proxy/ws-proxy.js';
import { HealthChecker } from './upstreams/health-checker.js';
import { isUpstreamUrl, UpstreamPool } from './upstreams/pool.js';
import { pathOf, RouteTable } from './upstreams/route-table.js';

/** Revocations published this long before start-up still apply (the access-token lifetime). */
const REVOCATION_CATCH_UP_MS = 15 * 60_000;

export interface GatewayDeps {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Verifies tokens at the edge; the caller starts and closes it. */
  readonly verifier: Pick<Verifier, 'verify' | 'status'>;
  /** Rate-limit counters and the service registry: memory when embedded, Redis when distributed (shared by every gateway instance). The caller closes it. */
  readonly store: KeyValueStore;
  /** With `revocations` (the list the verifier was created with): `session.revoked` and `client.revoked` events feed it. */
  readonly bus?: EventBus;
  readonly revocations?: RevocationList;
  /** Services hosted in this process (embedded mode): their prefixes are served here, without a proxy hop. */
  readonly modules?: readonly ServiceModule[];
}

/** Operational handles, for readiness, tests and the CLI. */
export interface GatewayControl {
  readonly pools: ReadonlyMap<string, UpstreamPool>;
  /** Runs one round of active health checks now. */
  checkUpstreams(): Promise<void>;
  /** Rescans the service registry now (no-op without discovery). */
  refreshRegistry(): Promise<void>;
  /** Refetches the upstreams' OpenAPI documents now. */
  refreshDocs(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    gateway: GatewayControl;
  }
}

const EXPOSED_HEADERS = ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'www-authenticate'];

/**
 * Builds the gateway: security headers, CORS, edge checks (token, rate limits), the proxy routes
 * to upstream pools and WebSocket upgrades, hosted modules (embedded mode), merged API docs,
 * probes and metrics. Background work (health checks, discovery, docs refresh, revocation feed,
 * modules) starts when the app is ready and stops when it closes. It does not listen.
 */
export async function buildGateway(deps: GatewayDeps): Promise<App> {
  const { config, logger, store, verifier } = deps;
  const clock = deps.clock ?? systemClock;
  const modules = deps.modules ?? [];
  const trustProxy = config.trustProxy === false ? false : [...config.trustProxy];
  // Security headers on every answer (errors, preflights, proxied responses); /docs overrides its CSP.
  const app = createHttpApp({ logger, bodyLimit: config.bodyLimit, trustProxy, defaultMetrics: false, responseHeaders: securityHeaders({ hsts: config.hsts }) });

  const routes = new RouteTable(config.routes);
  const hosted = new Set(modules.flatMap((m) => m.prefixes));
  const pools = new Map<string, UpstreamPool>();
  // Services hosted in this process on every one of their prefixes need no upstream pool.
  const remote = new Set(routes.entries.filter((r) => !hosted.has(r.prefix)).map((r) => r.service));
  for (const service of remote) {
    const pool = new UpstreamPool({ service, clock, ejection: config.ejection });
    pool.setInstances(config.upstreams[service] ?? []);
    pools.set(service, pool);
  }
  const metrics = createGatewayMetrics(app.metrics, () => pools.values());
  const proxyError = (service: string, kind: ProxyErrorKind): void => metrics.proxyErrors.inc({ service, kind });

  // A function, not a list: with a list, a disallowed origin still gets the credentials and
  // preflight headers; `false` from the function leaves CORS out of the answer altogether.
  // With no origin allowed (the default) the plugin would only add `Vary: Origin` and answer
  // preflights 404, as the router does without it, at a measurable cost on every request.
  const corsOrigins = new Set(config.corsOrigins);
  if (corsOrigins.size > 0) {
    await app.register(fastifyCors, {
      origin: (origin, callback) => callback(null, origin !== undefined && corsOrigins.has(origin)),
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
  }

  const ipLimiter = config.rateLimit.ip === false ? undefined : createRateLimiter(store, { ...config.rateLimit.ip, prefix: 'ratelimit:ip', clock });
  const userLimiter = config.rateLimit.user === false ? undefined : createRateLimiter(store, { ...config.rateLimit.user, prefix: 'ratelimit:user', clock });
  const guard = {
    policy: new AccessPolicy([...config.access, ...routes.entries.map((r) => ({ path: `${r.prefix}/openapi.json`, methods: ['GET', 'HEAD'], auth: 'none' as const }))]),
    verifier,
    ...(userLimiter === undefined ? {} : { userLimiter }),
    verifyOutcomes: metrics.verifyOutcomes,
    rateLimited: metrics.rateLimited,
  };
  // Metrics disclose the upstream topology and error rates: only the allowed addresses (monitoring) read them.
  const metricsAllowed = proxyAddr.compile([...config.metricsAllow]);
  installEdgeGuard(app, {
    ...guard,
    ...(ipLimiter === undefined ? {} : { ipLimiter }),
    unlimited: new Set(['/healthz', '/readyz', '/metrics']),
    restricted: new Map([['/metrics', (address: string) => metricsAllowed(address, 0)]]),
  });

  // API docs: the generator must exist before any route it should see (the hosted modules').
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: config.docs.title, version: config.docs.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  const docs = new OpenApiMerger({
    title: config.docs.title,
    version: config.docs.version,
    local: () => app.swagger() as unknown as OpenApiDocument,
    sources: () =>
      [...pools.values()]
        .filter((pool) => pool.instances.length > 0)
        .map((pool) => ({
          service: pool.service,
          prefixes: routes.entries.filter((r) => r.service === pool.service && !hosted.has(r.prefix)).map((r) => r.prefix),
          url: () => pool.pick()?.url.concat(`/${pool.service}/openapi.json`),
        })),
    refreshMs: config.docs.refreshMs,
    timeoutMs: config.docs.timeoutMs,
    logger,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => docs.document());
  // The transform ignores the generated document, so cloning it for every request would be waste.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    transformSpecification: () => docs.document(),
    transformSpecificationClone: false,
    // The page (not its static files: a CSP only governs documents) may load its own scripts and styles.
    uiHooks: {
      onRequest: (_request, reply, done) => {
        void reply.header('content-security-policy', DOCS_CSP).header('cross-origin-opener-policy', DOCS_OPENER_POLICY);
        done();
      },
    },
  });

  for (const module of modules) await module.register(app);

  // The proxied prefixes: a child context whose catch-all parser leaves the body unread, to stream it.
  const proxyOptions = { timeoutMs: config.proxy.timeoutMs, bodyLimit: config.bodyLimit, maxAttempts: config.proxy.maxAttempts };
  const trusted = trustProxy !== false;
  const factsOf = (request: FastifyRequest): ForwardedFacts => {
    const trace = nextTraceparent(request.headers.traceparent);
    const tracestate = request.headers.tracestate;
    return {
      chain: trusted ? [...request.ips!].reverse() : [request.ip],
      proto: request.protocol,
      host: request.headers.host === undefined ? undefined : request.host,
      requestId: request.id,
      traceparent: trace.traceparent,
      tracestate: trace.continued && typeof tracestate === 'string' ? tracestate : undefined,
    };
  };
  const handlerFor = (pool: UpstreamPool) => (request: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    const res = reply.raw;
    proxyRequest(
      {
        pool,
        req: request.raw,
        res,
        facts: factsOf(request),
        gatewayHeaders: reply.getHeaders(),
        // Methods, not arrow properties: tsx would name each arrow made per request.
        fail(error) {
          if (res.headersSent) {
            res.destroy();
            return;
          }
          if (error.status >= 500) request.log.warn({ code: error.code, service: pool.service }, error.message);
          const body = JSON.stringify(toProblem(error, { instance: pathOf(request.url), requestId: request.id }));
          const headers: Record<string, string | number | readonly string[] | undefined> = { ...reply.getHeaders() };
          for (const [name, value] of Object.entries(error.headers)) headers[name.toLowerCase()] = value;
          headers['content-type'] = PROBLEM_CONTENT_TYPE;
          headers['content-length'] = Buffer.byteLength(body);
          if (error.code === 'PAYLOAD_TOO_LARGE') headers['connection'] = 'close';
          res.writeHead(error.status, headers as Record<string, string | number | string[]>);
          res.end(body);
        },
        onError(kind, err) {
          proxyError(pool.service, kind);
          if (err !== undefined) request.log.debug({ err, service: pool.service, kind }, 'proxy error');
        },
      },
      proxyOptions,
    );
  };
  const proxied = routes.entries.filter((r) => !hosted.has(r.prefix) && ((config.upstreams[r.service]?.length ?? 0) > 0 || config.discovery !== false));
  await app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const route of proxied) {
      const handler = handlerFor(pools.get(route.service)!);
      child.all(route.prefix, { schema: { hide: true } }, handler);
      child.all(`${route.prefix}/*`, { schema: { hide: true } }, handler);
    }
  });

  // WebSocket upgrades on proxied prefixes.
  const trust = trustProxy === false ? () => false : proxyAddr.compile(trustProxy);
  const upgrades = createUpgradeProxy({
    routes: new RouteTable(proxied),
    pools,
    trust,
    ...(ipLimiter === undefined ? {} : { ipLimiter }),
    authorize: createUpgradeGuard(guard),
    allowedOrigins: corsOrigins,
    timeoutMs: config.proxy.timeoutMs,
    logger,
    onError: proxyError,
  });
  if (proxied.length > 0) {
    app.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      if (upgrades.handle(req, socket, head)) return;
      // Hosted modules (e.g. @fastify/websocket) listen too; without them nobody would answer.
      if (app.server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
  }

  // Readiness: every required proxied service has an available instance (none registered yet, or
  // none healthy, is not ready); the key cache is usable. Each service's reason has its own check.
  const proxiedServices = new Set(proxied.map((r) => r.service));
  const required = [...pools.values()].filter(
    (p) => proxiedServices.has(p.service) && (config.requiredServices === 'all' || config.requiredServices.includes(p.service) || (config.upstreams[p.service]?.length ?? 0) > 0),
  );
  const unavailable = (pool: UpstreamPool): string | undefined =>
    pool.instances.length === 0 ? 'NO_INSTANCE' : pool.availableCount() === 0 ? 'NO_AVAILABLE_INSTANCE' : undefined;
  app.probes.add('upstreams', async () => {
    const report: Record<string, { instances: number; available: number }> = {};
    for (const pool of pools.values()) report[pool.service] = { instances: pool.instances.length, available: pool.availableCount() };
    const down = required.filter((pool) => unavailable(pool) !== undefined).map((pool) => pool.service);
    if (down.length > 0) throw Object.assign(new Error(`no available instance of ${down.join(', ')}`), { code: 'UPSTREAM_UNAVAILABLE' });
    return { services: report };
  });
  for (const pool of required) {
    app.probes.add(`upstream:${pool.service}`, async () => {
      const reason = unavailable(pool);
      if (reason !== undefined) throw Object.assign(new Error(`${pool.service}: ${reason}`), { code: reason });
      return { instances: pool.instances.length, available: pool.availableCount() };
    });
  }
  app.probes.add('keys', async () => {
    const status = verifier.status();
    if (!status.ready) throw Object.assign(new Error(status.lastError ?? 'no verification key'), { code: 'KEYS_UNAVAILABLE' });
    return { keys: status.keys, stale: status.stale, lastFetchAt: status.lastFetchAt?.toISOString() ?? null };
  });

  // Background work.
  const checker = new HealthChecker(() => pools.values(), config.healthCheck, logger);
  const staticUrls = config.upstreams;
  const watcher: RegistryWatcher | undefined =
    config.discovery === false
      ? undefined
      : createRegistryWatcher({
          store,
          intervalMs: config.discovery.intervalMs,
          onChange: (snapshot) => {
            for (const pool of pools.values()) {
              const found: string[] = [];
              for (const { url } of snapshot.get(pool.service) ?? []) {
                // One instance announcing a URL the pool cannot use (https://) must not stop every pool's update.
                if (isUpstreamUrl(url)) found.push(url);
                else logger.warn({ service: pool.service, url }, 'ignoring a registered instance that is not a plain http:// URL');
              }
              pool.setInstances([...(staticUrls[pool.service] ?? []), ...found]);
            }
            logger.info({ services: Object.fromEntries([...snapshot].map(([s, list]) => [s, list.length])) }, 'service registry changed');
          },
          onError: (err) => logger.warn({ err }, 'service registry scan failed; keeping the known instances'),
        });
  let revocationFeed: Subscription | undefined;
  app.decorate('gateway', {
    pools,
    checkUpstreams: () => checker.checkNow(),
    refreshRegistry: async () => {
      await watcher?.refresh();
    },
    refreshDocs: () => docs.refresh(),
  } satisfies GatewayControl);

  app.addHook('onReady', async () => {
    if (deps.bus !== undefined && deps.revocations !== undefined) {
      revocationFeed = await subscribeRevocations(deps.bus, deps.revocations, { since: new Date(clock.now().getTime() - REVOCATION_CATCH_UP_MS), logger });
    }
    await watcher?.start();
    checker.start();
    docs.start();
    for (const module of modules) await module.start();
  });
  app.addHook('preClose', async () => {
    upgrades.closeAll();
  });
  app.addHook('onClose', async () => {
    for (const module of [...modules].reverse()) await module.stop();
    docs.stop();
    watcher?.stop();
    await checker.stop();
    await revocationFeed?.unsubscribe();
    for (const pool of pools.values()) pool.close();
  });
  return app;
}

import fastifyCors from '@fastify/cors';
import proxyAddr from '@fastify/proxy-addr';
import type { App } from '@realchat/http';
import { createRateLimiter, type RateLimiter } from '@realchat/store';
import type { GatewayContext } from '../context.js';
import { createUpgradeGuard, installEdgeGuard } from './edge-guard.js';

const EXPOSED_HEADERS = ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'www-authenticate'];

/** What the upgrade dispatcher reuses of the edge. */
export interface Edge {
  readonly ipLimiter: RateLimiter | undefined;
  /** The access rule and token check of a handshake; throws the AppError to refuse it with. */
  readonly authorizeUpgrade: (method: string, url: string, authorization: string | undefined) => Promise<void>;
}

/**
 * The checks every request meets before it is served or proxied: CORS, internal paths hidden,
 * the metrics allow-list, per-IP and per-user limits, token verification by the access rule.
 */
export async function installEdge(app: App, ctx: GatewayContext): Promise<Edge> {
  const { config, store, clock, directory, metrics } = ctx;
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
    policy: { ruleFor: (method: string, path: string) => directory.policy().ruleFor(method, path) },
    verifier: ctx.verifier,
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
  return { ipLimiter, authorizeUpgrade: createUpgradeGuard(guard) };
}

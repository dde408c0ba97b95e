import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { TokenError, verifyBearer, type Principal, type Verifier } from '@realchat/auth-verify';
import { AppError } from '@realchat/errors';
import type { RateLimitDecision, RateLimiter } from '@realchat/store';
import { clientKey, type App } from '@realchat/http';
import { INTERNAL_PREFIX, pathOf } from '../upstreams/route-table.js';
import type { AccessPolicy, AccessRule } from './access-policy.js';

export interface EdgeGuardOptions {
  /** The access rule of a request (the current policy: it grows as the gateway learns services). */
  readonly policy: Pick<AccessPolicy, 'ruleFor'>;
  readonly verifier: Pick<Verifier, 'verify'>;
  /** Counts every request per client address. */
  readonly ipLimiter?: RateLimiter;
  /** Counts authenticated requests per user (or client id for service tokens). */
  readonly userLimiter?: RateLimiter;
  /** Paths exempt from rate limits (probes, metrics). */
  readonly unlimited: ReadonlySet<string>;
  /**
   * Paths only some client addresses may reach (`/metrics`), by a predicate on the client address
   * (the one TRUST_PROXY yields); every other client gets the router's 404, as for a path that does not exist.
   */
  readonly restricted?: ReadonlyMap<string, (address: string) => boolean>;
  readonly verifyOutcomes: Counter<'outcome'>;
  readonly rateLimited: Counter<'scope'>;
}

const REALM = 'Bearer realm="realchat"';
const MALFORMED_ESCAPE = /%(?![0-9A-Fa-f]{2})|%00/;

/**
 * The path the policy and the hidden-path checks judge: the request target as `normalizeTarget`
 * left it (the router's `rewriteUrl` and the upgrade dispatcher apply it first), without query or
 * trailing slash. Escapes stay for the policy's router to decode, as the services' routers do.
 * Throws a 400 AppError for a target normalising could not make judgeable.
 */
export function cleanPath(url: string): string {
  const path = pathOf(url);
  if (path.charCodeAt(0) !== 47 /* / */) throw new AppError('BAD_REQUEST', 'the request target is not a path');
  if (path.includes('%') && MALFORMED_ESCAPE.test(path)) throw new AppError('BAD_REQUEST', 'the path is not valid percent-encoding');
  // The gateway's and the services' routers ignore one trailing slash: `/x/` must meet the rules of `/x`.
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * True when `path` lies under `prefix` in any letter case, the prefix ending at `/` or at an
 * encoded one (`%2F`): a hidden path stays hidden however it is spelt.
 */
export function underPrefixIgnoringCase(path: string, prefix: string): boolean {
  // Most paths differ in their second character: compare it before anything allocates.
  if (path.length < prefix.length || (path.charCodeAt(1) | 0x20) !== prefix.charCodeAt(1)) return false;
  if (path.length > prefix.length) {
    const next = path.charCodeAt(prefix.length);
    if (next !== 47 /* / */ && !(next === 37 /* % */ && path.slice(prefix.length, prefix.length + 3).toUpperCase() === '%2F')) return false;
  }
  return path.slice(0, prefix.length).toLowerCase() === prefix;
}

function insufficient(rule: AccessRule): AppError {
  const scope = rule.scopes !== undefined && rule.scopes.length > 0 ? `, scope="${rule.scopes.join(' ')}"` : '';
  return new AppError('INSUFFICIENT_SCOPE', 'The token lacks a role or scope this route requires', {
    headers: { 'WWW-Authenticate': `${REALM}, error="insufficient_scope"${scope}` },
  });
}

function setRateLimitHeaders(reply: FastifyReply, d: RateLimitDecision): void {
  void reply.header('ratelimit-limit', d.limit);
  void reply.header('ratelimit-remaining', d.remaining);
  void reply.header('ratelimit-reset', Math.ceil(d.resetMs / 1000));
}

function limited(d: RateLimitDecision): AppError {
  return new AppError('RATE_LIMITED', `too many requests; retry in ${Math.ceil(d.resetMs / 1000)} s`, {
    headers: { 'Retry-After': String(Math.ceil(d.resetMs / 1000)) },
  });
}

type Authorize = (rule: AccessRule, authorization: string | undefined) => Promise<Principal | undefined>;

/** An access rule enforced on a request's token: the principal, or undefined when the rule lets the caller in without one. */
function createAuthorize(verifier: Pick<Verifier, 'verify'>, verifyOutcomes: Counter<'outcome'>): Authorize {
  // Bound once: resolving labels on every request is a measurable share of a cached verification.
  const valid = verifyOutcomes.labels({ outcome: 'valid' });
  return async (rule, authorization) => {
    if (rule.auth === 'none') return undefined;
    if (authorization === undefined) {
      if (rule.auth === 'optional') return undefined;
      verifyOutcomes.inc({ outcome: 'MISSING' });
      throw new AppError('UNAUTHENTICATED', 'A bearer token is required', { headers: { 'WWW-Authenticate': REALM } });
    }
    let principal: Principal;
    try {
      principal = await verifyBearer(verifier, authorization);
    } catch (err) {
      verifyOutcomes.inc({ outcome: err instanceof TokenError ? err.reason : err instanceof AppError ? err.code : 'ERROR' });
      throw err;
    }
    valid.inc();
    if (rule.roles !== undefined && rule.roles.length > 0 && !principal.roles.some((r) => rule.roles!.includes(r))) throw insufficient(rule);
    if (rule.scopes !== undefined && !rule.scopes.every((s) => principal.scopes.includes(s))) throw insufficient(rule);
    return principal;
  };
}

function limitKey(principal: Principal): string {
  return principal.kind === 'user' ? `user:${principal.userId}` : `client:${principal.clientId}`;
}

/**
 * The gateway's edge checks on every request, before any body is read or proxied: internal paths
 * hidden, per-IP limit, token verification by the route's access rule (401 / 403 / 503 as the
 * verifier says), per-user limit. Rate-limit store failures let the request through: an outage of
 * Redis must not take the whole API down.
 */
export function installEdgeGuard(app: App, options: EdgeGuardOptions): void {
  const { policy, ipLimiter, userLimiter, unlimited, rateLimited } = options;
  const restricted = options.restricted ?? new Map<string, (address: string) => boolean>();
  const authorize = createAuthorize(options.verifier, options.verifyOutcomes);
  const restrictedOf = (path: string): ((address: string) => boolean) | undefined => {
    for (const [restrictedPath, allowed] of restricted) if (path.length === restrictedPath.length && underPrefixIgnoringCase(path, restrictedPath)) return allowed;
    return undefined;
  };

  const hit = async (limiter: RateLimiter, key: string, request: FastifyRequest): Promise<RateLimitDecision | undefined> => {
    try {
      return await limiter.hit(key);
    } catch (err) {
      request.log.warn({ err }, 'rate limit store unavailable; request let through');
      return undefined;
    }
  };

  const check = async (request: FastifyRequest, reply: FastifyReply, rule: AccessRule, limit: boolean): Promise<void> => {
    let decision: RateLimitDecision | undefined;
    if (limit && ipLimiter !== undefined) {
      decision = await hit(ipLimiter, `ip:${clientKey(request.ip)}`, request);
      if (decision !== undefined) {
        setRateLimitHeaders(reply, decision);
        if (!decision.allowed) {
          rateLimited.inc({ scope: 'ip' });
          throw limited(decision);
        }
      }
    }

    const principal = await authorize(rule, request.headers.authorization);
    if (principal === undefined) return;

    if (limit && userLimiter !== undefined) {
      const user = await hit(userLimiter, limitKey(principal), request);
      if (user !== undefined) {
        // The headers describe whichever limit is closer.
        if (decision === undefined || user.remaining < decision.remaining || !user.allowed) setRateLimitHeaders(reply, user);
        if (!user.allowed) {
          rateLimited.inc({ scope: 'user' });
          throw limited(user);
        }
      }
    }
  };

  // A callback hook, not an async one: a public route without a per-IP limit passes without a
  // promise, which is a measurable share of a request served in the gateway itself.
  app.addHook('onRequest', (request, reply, done) => {
    let path: string;
    try {
      path = cleanPath(request.url);
    } catch (err) {
      done(err as AppError);
      return;
    }
    if (underPrefixIgnoringCase(path, INTERNAL_PREFIX)) {
      done(new AppError('ROUTE_NOT_FOUND', `no route for ${request.method} ${path}`));
      return;
    }
    const allowed = restrictedOf(path);
    // A restricted path in another letter case is no route: as hidden as the path itself.
    if (allowed !== undefined && (!allowed(request.ip) || !restricted.has(path))) {
      // Word for word the router's answer to a path it does not know.
      done(new AppError('ROUTE_NOT_FOUND', `no route for ${request.method} ${pathOf(request.url)}`));
      return;
    }
    const rule = policy.ruleFor(request.method, path);
    const limit = !unlimited.has(path);
    if (rule.auth === 'none' && (!limit || ipLimiter === undefined)) {
      done();
      return;
    }
    check(request, reply, rule, limit).then(() => done(), done);
  });
}

/**
 * The same edge checks for a WebSocket upgrade, which never passes Fastify's hooks: path hygiene,
 * the access rule with its token, the per-user limit (the upgrade proxy applies the per-IP one).
 * Throws the AppError to answer the handshake with. Public socket paths (`/chat/ws`) pass here
 * and authenticate with their first frame.
 */
export function createUpgradeGuard(options: Omit<EdgeGuardOptions, 'ipLimiter' | 'unlimited'>): (method: string, url: string, authorization: string | undefined) => Promise<void> {
  const { userLimiter, rateLimited } = options;
  const authorize = createAuthorize(options.verifier, options.verifyOutcomes);
  return async (method, url, authorization) => {
    const principal = await authorize(options.policy.ruleFor(method, cleanPath(url)), authorization);
    if (principal === undefined || userLimiter === undefined) return;
    // As for HTTP, a store outage lets the handshake through.
    const decision = await userLimiter.hit(limitKey(principal)).catch(() => undefined);
    if (decision !== undefined && !decision.allowed) {
      rateLimited.inc({ scope: 'user' });
      throw limited(decision);
    }
  };
}

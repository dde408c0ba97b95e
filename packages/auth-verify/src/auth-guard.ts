import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { fastifyPlugin } from 'fastify-plugin';
import { AppError } from '@realchat/errors';
import type { Principal, Role, Verifier } from './types.js';
import { verifyBearer } from './bearer.js';

/** `required`: a valid token or 401; `optional`: anonymous allowed, a bad token still 401; `none`: not checked. */
export type AuthMode = 'required' | 'optional' | 'none';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null on anonymous requests and `auth: 'none'` routes. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Default `required`. */
    auth?: AuthMode;
    /** The caller needs at least one of these roles (service principals have none). */
    roles?: readonly Role[];
    /** The caller needs every one of these scopes. */
    scopes?: readonly string[];
  }
}

export interface AuthGuardOptions {
  readonly verifier: Pick<Verifier, 'verify'>;
}

const REALM = 'Bearer realm="realchat"';
/** Bearer credentials, well-formed or not; any other scheme counts as none. */
const BEARER_SCHEME = /^bearer(?:\s|$)/i;

function unauthenticated(): AppError {
  return new AppError('UNAUTHENTICATED', 'A bearer token is required', { headers: { 'WWW-Authenticate': REALM } });
}

function insufficient(scopes: readonly string[] | undefined): AppError {
  const scope = scopes !== undefined && scopes.length > 0 ? `, scope="${scopes.join(' ')}"` : '';
  return new AppError('INSUFFICIENT_SCOPE', 'The token lacks a role or scope this route requires', {
    headers: { 'WWW-Authenticate': `${REALM}, error="insufficient_scope"${scope}` },
  });
}

const guard: FastifyPluginAsync<AuthGuardOptions> = async (app, { verifier }) => {
  // A host (or an outer guard) may have declared it already; its hooks never replace this one's checks.
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null);
  // onRequest: refuse before the body is read or parsed.
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const { auth = 'required', roles, scopes } = request.routeOptions.config;
    if (auth === 'none') return;
    const header = request.headers.authorization;
    if (header === undefined || !BEARER_SCHEME.test(header)) {
      if (auth === 'required' || (roles?.length ?? 0) > 0 || (scopes?.length ?? 0) > 0) throw unauthenticated();
      return;
    }
    const principal = await verifyBearer(verifier, header);
    if (roles !== undefined && roles.length > 0 && !principal.roles.some((r) => roles.includes(r))) throw insufficient(scopes);
    if (scopes !== undefined && !scopes.every((s) => principal.scopes.includes(s))) throw insufficient(scopes);
    request.principal = principal;
  });
};

/**
 * Fastify plugin verifying `Authorization: Bearer` on every route of the registering scope, with
 * per-route `config: { auth, roles, scopes }`. Errors are AppErrors (401 with an RFC 6750
 * challenge, 403 INSUFFICIENT_SCOPE, 503 KEYS_UNAVAILABLE) for the shared error handler.
 */
export const authGuard = fastifyPlugin(guard, { fastify: '5.x', name: '@realchat/auth-guard' });

/** The caller of a route that requires authentication; throws 401 if there is none. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw unauthenticated();
  return request.principal;
}

import formbody from '@fastify/formbody';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { isTokenError, type Verifier } from '@realchat/auth-verify';
import { toAppError, type App } from '@realchat/http';
import type { AuthSettings } from '../config.js';
import type { ClientRow } from '../repositories/client.repository.js';
import type { ClientService } from '../services/client.service.js';
import type { SessionService } from '../services/session.service.js';
import type { TokenService } from '../services/token.service.js';
import type { UserService } from '../services/user.service.js';
import { sendTokens } from './auth.routes.js';

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope' | 'server_error' | 'temporarily_unavailable';

/** An RFC 6749 section 5.2 error: OAuth endpoints answer with these bodies, not problem+json. */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    description: string,
    readonly status = 400,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

function toOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  const app = toAppError(err);
  switch (app.code) {
    case 'INVALID_CREDENTIALS':
      return new OAuthError('invalid_grant', 'the username or the password is wrong');
    case 'INVALID_TOKEN':
    case 'TOKEN_EXPIRED':
      return new OAuthError('invalid_grant', app.message);
    case 'RATE_LIMITED':
      return new OAuthError('invalid_request', app.message, 429, app.headers);
    case 'DATABASE_UNAVAILABLE':
    case 'SERVICE_UNAVAILABLE':
    case 'KEYS_UNAVAILABLE':
      return new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable', 503);
    default:
      return app.status >= 500 ? new OAuthError('server_error', 'an unexpected error occurred', 500) : new OAuthError('invalid_request', app.message, 400);
  }
}

// RFC 6749 3.2: unrecognised parameters are ignored, so additional properties are allowed here.
const TokenForm = Type.Object({
  grant_type: Type.String({ minLength: 1, maxLength: 100 }),
  username: Type.Optional(Type.String({ maxLength: 254 })),
  password: Type.Optional(Type.String({ maxLength: 256 })),
  refresh_token: Type.Optional(Type.String({ maxLength: 200 })),
  scope: Type.Optional(Type.String({ maxLength: 1000 })),
  client_id: Type.Optional(Type.String({ maxLength: 200 })),
  client_secret: Type.Optional(Type.String({ maxLength: 200 })),
});
const TokenActionForm = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 8192 }),
  token_type_hint: Type.Optional(Type.String({ maxLength: 50 })),
  client_id: Type.Optional(Type.String({ maxLength: 200 })),
  client_secret: Type.Optional(Type.String({ maxLength: 200 })),
});

/** What a request says about its client: a secret to check (Basic or body), a bare client_id, or nothing (first-party). */
type ClientClaim = { readonly clientId: string; readonly clientSecret: string | undefined } | undefined;

const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="realchat"' };

/** Client authentication by HTTP Basic (RFC 6749 2.3.1, form-urlencoded parts) or by body parameters, never both. */
function claimOf(request: FastifyRequest, body: { client_id?: string | undefined; client_secret?: string | undefined }): ClientClaim {
  const header = request.headers.authorization;
  const basic = header !== undefined && /^basic /i.test(header) ? header.slice(6).trim() : undefined;
  if (basic !== undefined) {
    if (body.client_secret !== undefined) throw new OAuthError('invalid_request', 'use one client authentication method');
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new OAuthError('invalid_client', 'malformed Basic credentials', 401, BASIC_CHALLENGE);
    let claim: ClientClaim;
    try {
      claim = { clientId: decodeURIComponent(decoded.slice(0, colon)), clientSecret: decodeURIComponent(decoded.slice(colon + 1)) };
    } catch {
      throw new OAuthError('invalid_client', 'malformed Basic credentials', 401, BASIC_CHALLENGE);
    }
    // RFC 6749 2.3.1: a client_id in the body must name the same client.
    if (body.client_id !== undefined && body.client_id !== claim.clientId) throw new OAuthError('invalid_request', 'client_id differs from the authenticated client');
    return claim;
  }
  if (body.client_id !== undefined) return { clientId: body.client_id, clientSecret: body.client_secret };
  if (body.client_secret !== undefined) throw new OAuthError('invalid_request', 'client_secret without client_id');
  return undefined;
}

/**
 * RFC 6749 3.3: space-delimited scope tokens, duplicates meaning nothing more. A present but blank
 * `scope` names no scope at all, which is not a request for the default: invalid_scope.
 */
function requestedScopes(scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  const scopes = [...new Set(scope.split(' ').filter((s) => s.length > 0))];
  if (scopes.length === 0) throw new OAuthError('invalid_scope', 'scope is empty; omit it to get the default scope');
  return scopes;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

export interface OAuthRouteDeps {
  readonly users: UserService;
  readonly sessions: SessionService;
  readonly clients: ClientService;
  readonly tokens: TokenService;
  readonly verifier: Verifier;
  readonly settings: AuthSettings;
}

export async function oauthRoutes(app: App, deps: OAuthRouteDeps): Promise<void> {
  const { users, sessions, clients, tokens, verifier, settings } = deps;
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  // RFC 6749 3.2, RFC 7009 2.1, RFC 7662 2.1: these endpoints take forms only, refused before any parser runs.
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== FORM_TYPE) {
      throw new OAuthError('invalid_request', `the body must be ${FORM_TYPE}`);
    }
  });
  app.setErrorHandler((err, request, reply) => {
    const oauth = toOAuthError(err);
    if (oauth.status >= 500) request.log.error({ err }, 'oauth request failed');
    return reply
      .code(oauth.status)
      .headers({ ...oauth.headers, 'cache-control': 'no-store', pragma: 'no-cache' })
      .send({ error: oauth.error, error_description: oauth.message });
  });

  /**
   * The authenticated client, or undefined for a first-party request (no client named) when
   * `required` is false. Every registered client is confidential: naming one (unknown or not)
   * without its correct secret is invalid_client, never a first-party request.
   */
  const authenticateClient = async (request: FastifyRequest, body: Static<typeof TokenActionForm> | Static<typeof TokenForm>, required: boolean): Promise<ClientRow | undefined> => {
    const claim = claimOf(request, body);
    if (claim === undefined) {
      if (required) throw new OAuthError('invalid_client', 'client authentication is required', 401, BASIC_CHALLENGE);
      return undefined;
    }
    // An unknown id and a missing secret cost the same comparison as a wrong secret.
    const client = clients.authenticate(claim.clientId, claim.clientSecret ?? '');
    if (client === undefined || claim.clientSecret === undefined) throw new OAuthError('invalid_client', 'client authentication failed', 401, BASIC_CHALLENGE);
    return client;
  };

  const form = { consumes: [FORM_TYPE] };
  const tags = ['oauth'];

  app.post('/oauth/token', { config: { auth: 'none' }, schema: { tags, ...form, body: TokenForm } }, async (request, reply) => {
    const body = request.body;
    // User tokens carry roles, not OAuth scopes: a scope there could only be dropped, never granted.
    const noScope = (): void => {
      if (requestedScopes(body.scope) !== undefined) throw new OAuthError('invalid_scope', 'this grant issues user tokens, which take no scope');
    };
    switch (body.grant_type) {
      case 'password': {
        if (body.username === undefined || body.password === undefined) throw new OAuthError('invalid_request', 'username and password are required');
        noScope();
        const client = await authenticateClient(request, body, false);
        const { tokens: pair } = await users.login({ email: body.username, password: body.password }, { userAgent: request.headers['user-agent'] ?? null, ip: request.ip, oauthClientId: client?.id ?? null });
        return sendTokens(request, reply, pair, settings);
      }
      case 'refresh_token': {
        if (body.refresh_token === undefined) throw new OAuthError('invalid_request', 'refresh_token is required');
        noScope();
        const client = await authenticateClient(request, body, false);
        return sendTokens(request, reply, await sessions.refresh(body.refresh_token, client?.id ?? null), settings);
      }
      case 'client_credentials': {
        const client = await authenticateClient(request, body, true);
        if (client === undefined) throw new OAuthError('invalid_client', 'client authentication is required', 401);
        const requested = requestedScopes(body.scope) ?? client.scopes;
        const denied = requested.filter((s) => !client.scopes.includes(s));
        if (denied.length > 0) throw new OAuthError('invalid_scope', `scope not granted to this client: ${denied.join(' ')}`);
        const issued = tokens.issueServiceToken({ clientId: client.id, scopes: requested });
        return reply
          .header('cache-control', 'no-store')
          .header('pragma', 'no-cache')
          .send({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: requested.join(' ') });
      }
      default:
        throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(body.grant_type).slice(0, 60)} is not supported`);
    }
  });

  app.post('/oauth/revoke', { config: { auth: 'none' }, schema: { tags, ...form, body: TokenActionForm } }, async (request, reply) => {
    await authenticateClient(request, request.body, false);
    const { token } = request.body;
    // RFC 7009 2.2: invalid or unknown tokens still get 200.
    if ((await sessions.revokeByRefreshToken(token, 'logout')) === undefined) {
      try {
        const principal = await verifier.verify(token);
        if (principal.kind === 'user') await sessions.revoke({ sessionId: principal.sessionId }, 'logout');
        else await clients.revokeToken(principal.tokenId, principal.expiresAt);
      } catch (err) {
        if (!isTokenError(err)) throw err;
      }
    }
    return reply.code(200).header('cache-control', 'no-store').send();
  });

  app.post('/oauth/introspect', { config: { auth: 'none' }, schema: { tags, ...form, body: TokenActionForm } }, async (request, reply) => {
    await authenticateClient(request, request.body, true);
    const { token } = request.body;
    void reply.header('cache-control', 'no-store');
    const refresh = await sessions.inspectRefreshToken(token);
    if (refresh !== undefined) {
      return {
        active: true,
        token_type: 'refresh_token',
        sub: refresh.userId,
        sid: refresh.sessionId,
        iss: settings.issuer,
        iat: Math.floor(refresh.issuedAt.getTime() / 1000),
        exp: Math.floor(refresh.expiresAt.getTime() / 1000),
      };
    }
    try {
      const principal = await verifier.verify(token);
      const common = { active: true, token_type: 'access_token', iss: settings.issuer, aud: settings.audience, exp: Math.floor(principal.expiresAt.getTime() / 1000), jti: principal.tokenId };
      if (principal.kind === 'service') {
        // A revoked client's tokens still verify until they expire; introspection is the authoritative answer.
        if (!(clients.isLive(principal.clientId))) return { active: false };
        return { ...common, sub: principal.clientId, client_id: principal.clientId, scope: principal.scopes.join(' ') };
      }
      // The authoritative answer: a session revoked on another instance is inactive even before its event arrives.
      if (!(await sessions.isSessionLive(principal.sessionId))) return { active: false };
      return { ...common, sub: principal.userId, sid: principal.sessionId, roles: principal.roles };
    } catch (err) {
      if (isTokenError(err)) return { active: false };
      throw err;
    }
  });
}

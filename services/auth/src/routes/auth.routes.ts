import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserPrincipal } from '@realchat/auth-verify';
import { AppError } from '@realchat/errors';
import { toPage, type App } from '@realchat/http';
import type { AuthSettings } from '../config.js';
import type { SessionService, TokenPair } from '../services/session.service.js';
import { toPublicUser, type UserService } from '../services/user.service.js';
import { newestFirst } from './newest-first.js';
import { EmptyBody, IdParams, LoginBody, PasswordBody, ProfileBody, RefreshBody, RegisterBody, RolesBody, SessionPage, SessionsQuery, TokenResponse, User, UserPage, UsersQuery } from './schemas.js';

export const REFRESH_COOKIE = 'realchat_rt';
/** Marks a browser that signed in to an account before (see DeviceCookies); only the login route reads it. */
const DEVICE_COOKIE = 'realchat_device';
const DEVICE_COOKIE_PATH = '/auth/login';
// Long enough to outlast an account lock by far; renewed at each login.
const DEVICE_COOKIE_MAX_AGE_S = 180 * 86_400;
/** Browsers opt into the cookie transport with this header; being custom, it also forces a CORS preflight (CSRF guard). */
export const COOKIE_TRANSPORT_HEADER = 'x-refresh-token-transport';

export interface AuthRouteDeps {
  readonly users: UserService;
  readonly sessions: SessionService;
  readonly settings: AuthSettings;
}

const refreshCookieAttributes = (settings: AuthSettings) => ({ httpOnly: true, secure: settings.cookieSecure, sameSite: 'strict', path: '/auth' }) as const;

const wantsCookie = (request: FastifyRequest): boolean => request.headers[COOKIE_TRANSPORT_HEADER] === 'cookie';

/** The token response (OAuth field names); with the cookie transport the refresh token goes in an HttpOnly cookie instead. */
export function sendTokens(request: FastifyRequest, reply: FastifyReply, pair: TokenPair, settings: AuthSettings): FastifyReply {
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  const body = { access_token: pair.accessToken, token_type: 'Bearer' as const, expires_in: pair.expiresIn, refresh_expires_in: pair.refreshExpiresIn };
  if (wantsCookie(request)) {
    void reply.setCookie(REFRESH_COOKIE, pair.refreshToken, { ...refreshCookieAttributes(settings), maxAge: pair.refreshExpiresIn });
    return reply.send(body);
  }
  return reply.send({ ...body, refresh_token: pair.refreshToken });
}

function refreshTokenFrom(request: FastifyRequest, body: { refresh_token?: string | undefined }): string {
  const fromBody = body.refresh_token;
  if (fromBody !== undefined) return fromBody;
  const fromCookie = wantsCookie(request) ? request.cookies[REFRESH_COOKIE] : undefined;
  if (fromCookie !== undefined) return fromCookie;
  throw new AppError('VALIDATION_FAILED', 'refresh_token is required', { errors: [{ path: '/refresh_token', message: 'is required' }] });
}

function userOf(request: FastifyRequest): UserPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'user') throw new AppError('INSUFFICIENT_SCOPE', 'this route is for user tokens', { headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' } });
  return principal;
}

/**
 * A browser on the cookie transport has nothing to put in the body and may send none: no body is
 * read as `{}` (refreshTokenFrom then asks for the token when the cookie transport is not used).
 */
async function emptyBodyAsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/**
 * Some clients label even an empty body `application/json`, which the JSON parser refuses
 * (MALFORMED_JSON): on these routes an empty body is no body, whatever its content type. Without
 * Content-Length and Transfer-Encoding an HTTP/1 request has no body (RFC 9112 6.3); HTTP/2 may
 * omit the length of a real one.
 */
async function emptyJsonAsNoBody(request: FastifyRequest): Promise<void> {
  const { headers, httpVersionMajor } = request.raw;
  const length = headers['content-length'];
  if (headers['transfer-encoding'] === undefined && (length === '0' || (length === undefined && httpVersionMajor < 2))) delete headers['content-type'];
}

const meta = (request: FastifyRequest): { userAgent: string | null; ip: string } => ({ userAgent: request.headers['user-agent'] ?? null, ip: request.ip });

export async function authRoutes(app: App, deps: AuthRouteDeps): Promise<void> {
  const { users, sessions, settings } = deps;
  const tags = ['auth'];

  app.post('/auth/register', { config: { auth: 'none' }, schema: { tags, body: RegisterBody, response: { 201: User } } }, async (request, reply) =>
    reply.code(201).send(await users.register(request.body, { ip: request.ip })),
  );

  app.post('/auth/login', { config: { auth: 'none' }, schema: { tags, body: LoginBody, response: { 200: TokenResponse } } }, async (request, reply) => {
    const { tokens, deviceCookie } = await users.login(request.body, { ...meta(request), deviceCookie: request.cookies[DEVICE_COOKIE] });
    void reply.setCookie(DEVICE_COOKIE, deviceCookie, { httpOnly: true, secure: settings.cookieSecure, sameSite: 'strict', path: DEVICE_COOKIE_PATH, maxAge: DEVICE_COOKIE_MAX_AGE_S });
    return sendTokens(request, reply, tokens, settings);
  });

  app.post('/auth/refresh', { config: { auth: 'none' }, onRequest: emptyJsonAsNoBody, schema: { tags, body: RefreshBody, response: { 200: TokenResponse } }, preValidation: emptyBodyAsObject }, async (request, reply) =>
    sendTokens(request, reply, await sessions.refresh(refreshTokenFrom(request, request.body), null), settings),
  );

  app.post('/auth/logout', { config: { auth: 'none' }, onRequest: emptyJsonAsNoBody, schema: { tags, body: RefreshBody }, preValidation: emptyBodyAsObject }, async (request, reply) => {
    await sessions.revokeByRefreshToken(refreshTokenFrom(request, request.body), 'logout');
    // A browser replaces a cookie only when the attributes match; a clearing cookie repeats them all.
    if (request.cookies[REFRESH_COOKIE] !== undefined) void reply.clearCookie(REFRESH_COOKIE, refreshCookieAttributes(settings));
    return reply.code(204).send();
  });

  // No body, or an empty object: nothing else is accepted.
  app.post(
    '/auth/logout-all',
    { onRequest: emptyJsonAsNoBody, schema: { tags, security: [{ bearer: [] }], body: EmptyBody }, preValidation: emptyBodyAsObject },
    async (request, reply) => {
      await sessions.revoke({ userId: userOf(request).userId }, 'logout_all');
      return reply.code(204).send();
    },
  );

  app.get('/auth/me', { schema: { tags, security: [{ bearer: [] }], response: { 200: User } } }, async (request) => users.get(userOf(request).userId));

  app.patch('/auth/me', { schema: { tags, security: [{ bearer: [] }], body: ProfileBody, response: { 200: User } } }, async (request) =>
    users.updateProfile(userOf(request).userId, request.body),
  );

  app.get(
    '/auth/sessions',
    { schema: { tags, security: [{ bearer: [] }], querystring: SessionsQuery, response: { 200: SessionPage } } },
    async (request) => {
      const principal = userOf(request);
      const { cursor, limit } = request.query;
      const rows = await sessions.listLive(principal.userId, { limit, after: newestFirst.position(cursor) });
      return toPage(rows, limit, newestFirst.cursorOf, (s) => ({
        id: s.id,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
        userAgent: s.userAgent,
        current: s.id === principal.sessionId,
      }));
    },
  );

  app.delete('/auth/sessions/:id', { schema: { tags, security: [{ bearer: [] }], params: IdParams } }, async (request, reply) => {
    await sessions.revokeOwned(userOf(request).userId, request.params.id);
    return reply.code(204).send();
  });

  app.post('/auth/password', { schema: { tags, security: [{ bearer: [] }], body: PasswordBody } }, async (request, reply) => {
    const principal = userOf(request);
    await users.changePassword(principal.userId, principal.sessionId, request.body, request.ip);
    return reply.code(204).send();
  });

  app.patch(
    '/auth/users/:id/roles',
    { config: { roles: ['ADMIN'] }, schema: { tags, security: [{ bearer: [] }], params: IdParams, body: RolesBody, response: { 200: User } } },
    async (request) => users.setRoles(userOf(request).userId, request.params.id, request.body.roles),
  );

  app.get(
    '/auth/users',
    { config: { roles: ['ADMIN'] }, schema: { tags, security: [{ bearer: [] }], querystring: UsersQuery, response: { 200: UserPage } } },
    async (request) => {
      const { cursor, limit, email } = request.query;
      const rows = await users.list({ limit, after: newestFirst.position(cursor), emailPrefix: email });
      return toPage(rows, limit, newestFirst.cursorOf, toPublicUser);
    },
  );
}

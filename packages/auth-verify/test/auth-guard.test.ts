import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from '@realchat/errors';
import { authGuard, createVerifier, principalOf, type Verifier } from '../src/index.js';
import { AUDIENCE, headerFor, ISSUER, makeKey, NOW_SEC, serviceClaims, signRaw, userToken, type TestKey } from './helpers.js';

let key: TestKey;
let app: FastifyInstance;

/** A stand-in for @realchat/http's handler: problem+json with the error's headers. */
function renderProblems(instance: FastifyInstance): void {
  instance.setErrorHandler((err, _request, reply) => {
    const appError = err instanceof AppError ? err : new AppError('INTERNAL');
    return reply.code(appError.status).headers(appError.headers).type(PROBLEM_CONTENT_TYPE).send(toProblem(appError));
  });
}

async function buildApp(verifier: Pick<Verifier, 'verify'>): Promise<FastifyInstance> {
  const instance = Fastify();
  renderProblems(instance);
  await instance.register(async (scope) => {
    await scope.register(authGuard, { verifier });
    const echo = async (request: { principal: unknown }) => ({ principal: request.principal });
    scope.get('/required', echo);
    scope.get('/me', async (request) => ({ kind: principalOf(request).kind }));
    scope.get('/optional', { config: { auth: 'optional' } }, echo);
    scope.get('/none', { config: { auth: 'none' } }, echo);
    scope.get('/admin', { config: { roles: ['ADMIN'] } }, echo);
    scope.get('/users', { config: { scopes: ['users:read'] } }, echo);
  });
  // A sibling scope: the guard does not leak out of the scope that registered it.
  await instance.register(async (scope) => {
    scope.get('/public', async () => ({ ok: true }));
  });
  return instance;
}

beforeAll(async () => {
  key = await makeKey('RS256');
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] }, clock: new ManualClock() });
  app = await buildApp(verifier);
});
afterAll(() => app.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('authGuard', () => {
  it('accepts a valid token and exposes the principal', async () => {
    const res = await app.inject({ url: '/required', headers: { authorization: `bEaReR ${userToken(key)}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().principal).toMatchObject({ kind: 'user', roles: ['STUDENT'] });
    expect((await app.inject({ url: '/me', headers: bearer(userToken(key)) })).json()).toEqual({ kind: 'user' });
  });

  it.each([
    ['no header', {}],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
  ])('answers 401 UNAUTHENTICATED with a bare challenge for %s', async (_name, headers) => {
    const res = await app.inject({ url: '/required', headers });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="realchat"');
    expect(res.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });

  it.each([['Bearer'], ['Bearer '], ['Bearer a b'], ['Bearer a,b'], ['Bearer\ta']])('answers 401 invalid_request to %j', async (authorization) => {
    const res = await app.inject({ url: '/required', headers: { authorization } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(res.json()).toMatchObject({ code: 'INVALID_TOKEN', reason: 'MALFORMED' });
  });

  it('reads the header strictly even once its token is cached: only spaces may surround the token', async () => {
    const token = userToken(key);
    expect((await app.inject({ url: '/required', headers: { authorization: `Bearer    ${token}   ` } })).statusCode).toBe(200);
    for (const authorization of [`Bearer ${token}\t`, `Bearer ${token},x`, `Bearer ${token} x`, `Bearer\t${token}`, `Bearer ${token.replace('.', ' .')}`]) {
      const res = await app.inject({ url: '/required', headers: { authorization } });
      expect(res.statusCode, authorization.slice(-12)).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    }
    // token68 syntax but not a JWS: the verifier's own verdict, invalid_token.
    const res = await app.inject({ url: '/required', headers: bearer('abc.def.ghi=') });
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.json()).toMatchObject({ code: 'INVALID_TOKEN', reason: 'MALFORMED' });
  });

  it('answers 401 invalid_token with the reason for a bad token', async () => {
    const res = await app.inject({ url: '/required', headers: bearer(userToken(key, { iss: 'https://evil.example' })) });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="realchat", error="invalid_token", error_description="The token issuer is not accepted"',
    );
    expect(res.json()).toMatchObject({ code: 'INVALID_TOKEN', reason: 'BAD_ISSUER' });
  });

  it('answers 401 TOKEN_EXPIRED for an expired token', async () => {
    const res = await app.inject({ url: '/required', headers: bearer(userToken(key, { exp: NOW_SEC - 60 })) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'TOKEN_EXPIRED', reason: 'EXPIRED' });
  });

  it('answers 403 INSUFFICIENT_SCOPE for a missing role, 200 with it', async () => {
    const student = await app.inject({ url: '/admin', headers: bearer(userToken(key)) });
    expect(student.statusCode).toBe(403);
    expect(student.headers['www-authenticate']).toBe('Bearer realm="realchat", error="insufficient_scope"');
    expect(student.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    const admin = await app.inject({ url: '/admin', headers: bearer(userToken(key, { roles: ['STUDENT', 'ADMIN'] })) });
    expect(admin.statusCode).toBe(200);
  });

  it('answers 403 for a missing scope, 200 for a service holding it', async () => {
    const user = await app.inject({ url: '/users', headers: bearer(userToken(key)) });
    expect(user.statusCode).toBe(403);
    expect(user.headers['www-authenticate']).toBe('Bearer realm="realchat", error="insufficient_scope", scope="users:read"');
    const service = await app.inject({ url: '/users', headers: bearer(signRaw(key, headerFor(key), serviceClaims())) });
    expect(service.statusCode).toBe(200);
    expect(service.json().principal).toMatchObject({ kind: 'service', clientId: 'chat' });
    const roleRoute = await app.inject({ url: '/admin', headers: bearer(signRaw(key, headerFor(key), serviceClaims())) });
    expect(roleRoute.statusCode).toBe(403);
  });

  it('lets anonymous callers through optional routes, but not bad tokens', async () => {
    const anonymous = await app.inject({ url: '/optional' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({ principal: null });
    expect((await app.inject({ url: '/optional', headers: bearer(userToken(key)) })).json().principal).toMatchObject({ kind: 'user' });
    expect((await app.inject({ url: '/optional', headers: bearer('garbage') })).statusCode).toBe(401);
  });

  it('does not check auth: none routes, unknown routes or sibling scopes', async () => {
    expect((await app.inject({ url: '/none', headers: bearer('garbage') })).json()).toEqual({ principal: null });
    expect((await app.inject({ url: '/nowhere' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/public' })).statusCode).toBe(200);
  });

  it('answers 503 KEYS_UNAVAILABLE when the verifier has no key, never 401', async () => {
    const empty = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [] } });
    const instance = await buildApp(empty);
    const res = await instance.inject({ url: '/required', headers: bearer(userToken(key)) });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'KEYS_UNAVAILABLE' });
    expect(res.headers['www-authenticate']).toBeUndefined();
    await instance.close();
  });
});

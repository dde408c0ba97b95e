import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '@realchat/auth-verify';
import { createInProcessBus, createJetStreamBus, type EventBus } from '@realchat/bus';
import { ManualClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import { createEvent } from '@realchat/contracts';
import { silentLogger } from '@realchat/logging';
import { AuthenticationEnvSchema, remoteAuthentication } from '@realchat/runtime';
import { AUDIENCE, ISSUER, makeKey, signRaw, startGateway, startUpstream, tokenFor, userClaims, type TestGateway, type TestKey, type TestUpstream, TEST_RULES } from './helpers.js';

let key: TestKey;
let other: TestKey;
let auth: TestUpstream;
let chat: TestUpstream;
let forum: TestUpstream;
let gw: TestGateway;

beforeAll(async () => {
  [key, other] = await Promise.all([makeKey(), makeKey()]);
  [auth, chat, forum] = await Promise.all([startUpstream('auth'), startUpstream('chat'), startUpstream('forum')]);
  gw = await startGateway({
    key,
    config: {
      upstreams: { auth: [auth.url], chat: [chat.url], forum: [forum.url] },
      access: [...TEST_RULES, { path: '/forum/admin/*', auth: 'required', roles: ['ADMIN'] }, { path: '/forum/feed', methods: ['GET'], auth: 'optional' }, { path: '/forum/reports', auth: 'required', roles: ['ADMIN'] }],
    },
  });
});

afterAll(async () => {
  await gw.close();
  await Promise.all([auth.close(), chat.close(), forum.close()]);
});

describe('public and protected routes', () => {
  it.each(['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/oauth/token', '/.well-known/jwks.json', '/auth/openapi.json', '/chat/openapi.json'])(
    '%s is public',
    async (path) => {
      const res = await fetch(`${gw.url}${path}`, { method: path.includes('openapi') || path.includes('jwks') ? 'GET' : 'POST' });
      expect(res.status).toBe(200);
    },
  );

  it.each(['/auth/me', '/auth/sessions', '/chat/conversations', '/forum/posts', '/notifications/x'])('%s needs a token: 401 with a Bearer challenge, not proxied', async (path) => {
    const before = auth.seen.length + chat.seen.length + forum.seen.length;
    const res = await fetch(`${gw.url}${path}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="realchat"');
    expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(auth.seen.length + chat.seen.length + forum.seen.length).toBe(before);
  });

  it('lets an anonymous request through an optional route, but not a bad token', async () => {
    expect((await fetch(`${gw.url}/forum/feed`)).status).toBe(200);
    expect((await fetch(`${gw.url}/forum/feed`, { headers: { authorization: 'Bearer x.y.z' } })).status).toBe(401);
  });

  it('proxies a valid token with the Authorization header unchanged', async () => {
    const token = tokenFor(key);
    const res = await fetch(`${gw.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { headers: Record<string, string> }).headers['authorization']).toBe(`Bearer ${token}`);
  });
});

describe('malicious tokens are 401, never 403 or 500', () => {
  const now = (): number => Math.floor(Date.now() / 1000);
  const cases: Array<[string, () => string]> = [
    ['garbage', () => 'not-a-jwt'],
    ['alg none', () => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify(userClaims({ roles: ['ADMIN'] }))).toString('base64url')}.`],
    ['tampered payload', () => {
      const [h, , s] = tokenFor(key).split('.');
      return `${h}.${Buffer.from(JSON.stringify(userClaims({ roles: ['ADMIN'] }))).toString('base64url')}.${s}`;
    }],
    ['HS256 signed with the public key', () => {
      const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })).toString('base64url');
      const payload = Buffer.from(JSON.stringify(userClaims())).toString('base64url');
      const hmac = createHmac('sha256', JSON.stringify(key.jwk)).update(`${header}.${payload}`).digest('base64url');
      return `${header}.${payload}.${hmac}`;
    }],
    ['foreign key', () => tokenFor(other)],
    ['foreign key with a known kid', () => signRaw(other, { alg: 'RS256', typ: 'at+jwt', kid: key.kid }, userClaims())],
    ['expired', () => tokenFor(key, userClaims({ iat: now() - 3600, exp: now() - 1800 }))],
    ['not yet valid', () => tokenFor(key, userClaims({ nbf: now() + 3600 }))],
    ['wrong issuer', () => tokenFor(key, userClaims({ iss: 'https://evil.example' }))],
    ['wrong audience', () => tokenFor(key, userClaims({ aud: 'someone-else' }))],
    ['jku header', () => tokenFor(key, userClaims(), { jku: 'https://evil.example/jwks.json' })],
    ['embedded jwk header', () => tokenFor(key, userClaims(), { jwk: other.jwk })],
    ['x5u header', () => tokenFor(key, userClaims(), { x5u: 'https://evil.example/cert.pem' })],
    ['wrong typ', () => tokenFor(key, userClaims(), { typ: 'JWT' })],
  ];
  it.each(cases)('%s', async (_name, make) => {
    const res = await fetch(`${gw.url}/chat/conversations`, { headers: { authorization: `Bearer ${make()}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="realchat", error="invalid_(token|request)"/);
    const body = (await res.json()) as { code: string };
    expect(['INVALID_TOKEN', 'TOKEN_EXPIRED']).toContain(body.code);
  });

  it('a malformed Authorization header is 401', async () => {
    for (const header of ['Bearer', 'Bearer a b', 'Basic dXNlcjpwYXNz', 'Bearer <script>']) {
      const res = await fetch(`${gw.url}/chat/conversations`, { headers: { authorization: header } });
      expect(res.status).toBe(401);
    }
  });
});

describe('roles at the edge', () => {
  it('STUDENT on an ADMIN-only route is 403 insufficient_scope; ADMIN passes', async () => {
    const student = await fetch(`${gw.url}/forum/admin/posts/1`, { method: 'DELETE', headers: { authorization: `Bearer ${tokenFor(key)}` } });
    expect(student.status).toBe(403);
    expect(student.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(await student.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    const admin = await fetch(`${gw.url}/forum/admin/posts/1`, { method: 'DELETE', headers: { authorization: `Bearer ${tokenFor(key, userClaims({ roles: ['ADMIN'] }))}` } });
    expect(admin.status).toBe(200);
  });

  it('judges a path with a trailing slash by the rule of the path without it, as the routers do (ignoreTrailingSlash)', async () => {
    const student = await fetch(`${gw.url}/forum/reports/`, { headers: { authorization: `Bearer ${tokenFor(key)}` } });
    expect(student.status).toBe(403);
    expect((await fetch(`${gw.url}/forum/feed/`)).status).toBe(200);
    expect((await fetch(`${gw.url}/oauth/`, { method: 'POST' })).status).toBe(200);
  });
});

describe('key availability', () => {
  it('keeps verifying known tokens when the JWKS source stops, and reports it', async () => {
    const jwks: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(JSON.stringify({ keys: [key.jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`, jwks: { fetchTimeoutMs: 300 } });
    await verifier.start();
    const upstream = await startUpstream('chat');
    const remote = await startGateway({ key, verifier, config: { upstreams: { chat: [upstream.url] } } });
    try {
      const token = tokenFor(key);
      expect((await fetch(`${remote.url}/chat/a`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      jwks.closeAllConnections();
      await new Promise<void>((r) => jwks.close(() => r()));
      expect((await fetch(`${remote.url}/chat/a`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      // A new token of the cached key too (not only the verified-token cache).
      expect((await fetch(`${remote.url}/chat/a`, { headers: { authorization: `Bearer ${tokenFor(key)}` } })).status).toBe(200);
      // An unknown key cannot be fetched now: still a clean 401.
      expect((await fetch(`${remote.url}/chat/a`, { headers: { authorization: `Bearer ${tokenFor(other)}` } })).status).toBe(401);
      const ready = await fetch(`${remote.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: { keys: { ok: boolean } } }).checks.keys.ok).toBe(true);
    } finally {
      verifier.close();
      await remote.close();
      await upstream.close();
    }
  });

  it('answers 503 KEYS_UNAVAILABLE when no key was ever loaded, and readiness says so', async () => {
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: 'http://127.0.0.1:1/.well-known/jwks.json', jwks: { fetchTimeoutMs: 200, cooldownMs: 10 } });
    await verifier.start();
    const upstream = await startUpstream('chat');
    const cold = await startGateway({ key, verifier, config: { upstreams: { chat: [upstream.url] } } });
    try {
      const res = await fetch(`${cold.url}/chat/a`, { headers: { authorization: `Bearer ${tokenFor(key)}` } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'KEYS_UNAVAILABLE' });
      expect((await fetch(`${cold.url}/readyz`)).status).toBe(503);
    } finally {
      verifier.close();
      await cold.close();
      await upstream.close();
    }
  });
});

describe('revocation', () => {
  it('refuses a revoked session within one second of the session.revoked event', async () => {
    const bus = createInProcessBus();
    const upstream = await startUpstream('chat');
    const g = await startGateway({ key, bus, config: { upstreams: { chat: [upstream.url] } } });
    try {
      const claims = userClaims();
      const token = tokenFor(key, claims);
      const other = tokenFor(key);
      expect((await fetch(`${g.url}/chat/a`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const started = Date.now();
      await bus.publish(
        createEvent(
          'session.revoked',
          { sessionId: claims['sid'] as string, userId: claims['sub'] as string, accessTokenExpiresAt: new Date((claims['exp'] as number) * 1000).toISOString(), reason: 'logout' },
          { producer: 'auth', occurredAt: new Date() },
        ),
      );
      let status = 200;
      while (status === 200 && Date.now() - started < 1000) {
        status = (await fetch(`${g.url}/chat/a`, { headers: { authorization: `Bearer ${token}` } })).status;
        if (status === 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe(401);
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await fetch(`${g.url}/chat/a`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
    } finally {
      await g.close();
      await bus.close();
      await upstream.close();
    }
  });

  const busOf = async (kind: 'in-process' | 'jetstream'): Promise<EventBus> => {
    if (kind === 'in-process') return createInProcessBus();
    const id = randomBytes(4).toString('hex');
    return createJetStreamBus({ servers: '127.0.0.1:4222', stream: `T_GW_${id}`, subjectPrefix: `t_gw_${id}` });
  };

  it.each(['in-process', 'jetstream'] as const)("refuses a revoked client's service token within one second of the client.revoked event (%s bus)", async (kind) => {
    const bus = await busOf(kind);
    const upstream = await startUpstream('chat');
    const g = await startGateway({ key, bus, config: { upstreams: { chat: [upstream.url] } } });
    try {
      const now = Math.floor(Date.now() / 1000);
      const service = (clientId: string) => ({ iss: ISSUER, aud: AUDIENCE, sub: clientId, client_id: clientId, scope: 'users:read', iat: now, exp: now + 900, jti: randomUUID() });
      const token = tokenFor(key, service('svc_revoked'));
      const other = tokenFor(key, service('svc_other'));
      const user = tokenFor(key);
      const call = (t: string) => fetch(`${g.url}/chat/a`, { headers: { authorization: `Bearer ${t}` } });
      expect((await call(token)).status).toBe(200);
      const started = Date.now();
      await bus.publish(createEvent('client.revoked', { clientId: 'svc_revoked', accessTokenExpiresAt: new Date((now + 900) * 1000).toISOString() }, { producer: 'auth', occurredAt: new Date() }));
      let res = await call(token);
      while (res.status === 200 && Date.now() - started < 1000) {
        await new Promise((r) => setTimeout(r, 20));
        res = await call(token);
      }
      expect(res.status).toBe(401);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await res.json()).toMatchObject({ code: 'INVALID_TOKEN', reason: 'REVOKED' });
      // Only that client: another client's token and a user's token still pass.
      expect((await call(other)).status).toBe(200);
      expect((await call(user)).status).toBe(200);
    } finally {
      await g.close();
      await bus.close();
      await upstream.close();
    }
  });

  it.each(['in-process', 'jetstream'] as const)(
    'a gateway restarted with AUTH_ACCESS_TOKEN_TTL=60m still refuses a token revoked 30 minutes earlier (%s bus)',
    async (kind) => {
      const bus = await busOf(kind);
      const jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.jwk] })));
      await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
      const upstream = await startUpstream('chat');
      const now = Math.floor(Date.now() / 1000);
      const claims = userClaims({ iat: now, exp: now + 55 * 60 });
      const token = tokenFor(key, claims);
      // Published now, while this gateway is down; it comes back 30 minutes later.
      await bus.publish(
        createEvent(
          'session.revoked',
          { sessionId: claims['sid'] as string, userId: claims['sub'] as string, accessTokenExpiresAt: new Date((claims['exp'] as number) * 1000).toISOString(), reason: 'logout' },
          { producer: 'auth', occurredAt: new Date() },
        ),
      );
      const restartedWith = async (ttl: string): Promise<number> => {
        const clock = new ManualClock(Date.now() + 30 * 60_000);
        const env = loadConfig(AuthenticationEnvSchema, { AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, AUTH_ACCESS_TOKEN_TTL: ttl });
        const authentication = remoteAuthentication(env, { bus, clock, logger: silentLogger });
        await authentication.start();
        const g = await startGateway({ key, verifier: authentication.verifier, clock, config: { upstreams: { chat: [upstream.url] } } });
        try {
          return (await fetch(`${g.url}/chat/a`, { headers: { authorization: `Bearer ${token}` } })).status;
        } finally {
          await g.close();
          await authentication.close();
        }
      };
      try {
        expect(await restartedWith('60m')).toBe(401);
        // The catch-up window is the setting: a 15-minute one would have let the token through.
        expect(await restartedWith('15m')).toBe(200);
      } finally {
        jwks.close();
        await bus.close();
        await upstream.close();
      }
    },
  );
});

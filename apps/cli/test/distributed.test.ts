import { createPublicKey, createHmac, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authGuard, createAuthentication, createRevocationList, createServiceTokenSource, createVerifier, principalOf, subscribeRevocations, type Authentication, type Verifier } from '@realchat/auth-verify';
import { createJetStreamBus, type EventBus } from '@realchat/bus';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { buildGateway, gatewayConfig } from '@realchat/gateway';
import { createHttpApp, registerOpenApi, SERVICE_MANIFEST_MEMBER, type App } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { createRedisStore, type KeyValueStore } from '@realchat/store';
import { freePort, runCli, startProcess, type ServiceProcess } from './processes.js';

/**
 * The distributed mode end to end: two auth processes on PostgreSQL announcing themselves in
 * Redis and publishing through NATS JetStream; a gateway that discovers them; a "chat" service
 * that verifies tokens locally; and the gateway's own process (server.ts) once.
 */
const id = randomBytes(4).toString('hex');
const ISSUER = 'http://auth.e2e.test';
const PASSWORD = 'correct horse battery';
const REDIS_PREFIX = `t:e2e:${id}:`;

let db: TestDatabase;
let sharedEnv: Record<string, string>;
const auths: ServiceProcess[] = [];
let store: KeyValueStore;
let gatewayBus: EventBus;
let chatBus: EventBus;
let gateway: App;
let gatewayVerifier: Verifier;
let gatewayAuthentication: Authentication;
let chat: App;
let chatVerifier: Verifier;
let gw: string;
let chatSeen = 0;

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const decode = (token: string) => {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>, payload: JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown> };
};
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function eventually(predicate: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

async function registerAndLogin(email = `u${randomBytes(5).toString('hex')}@example.com`): Promise<{ id: string; email: string; access: string; refresh: string }> {
  const reg = await fetch(`${gw}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD, displayName: 'Ada' }) });
  expect(reg.status).toBe(201);
  const user = (await reg.json()) as { id: string };
  return { id: user.id, email, ...(await login(email)) };
}

async function login(email: string): Promise<{ access: string; refresh: string }> {
  const res = await fetch(`${gw}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; refresh_token: string };
  return { access: body.access_token, refresh: body.refresh_token };
}

function startAuth(): Promise<ServiceProcess> {
  return freePort().then(async (port) => {
    const proc = await startProcess('services/auth/dist/server.js', { ...sharedEnv, PORT: String(port), ANNOUNCE_URL: `http://127.0.0.1:${port}` });
    auths.push(proc);
    return proc;
  });
}

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  sharedEnv = {
    DATABASE_URL: db.url!,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX,
    NATS_URL: '127.0.0.1:4222',
    NATS_STREAM: `T_E2E_${id}`,
    NATS_SUBJECT_PREFIX: `t_e2e_${id}`,
    AUTH_ISSUER: ISSUER,
    AUTH_BCRYPT_COST: '4',
    // Every test client is 127.0.0.1.
    AUTH_LOGIN_IP_LIMIT: '10000',
    AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUTH_KEY_RELOAD_INTERVAL: '1s',
    AUTH_CLIENT_RELOAD_INTERVAL: '1s',
    // A new key is in every instance's JWKS (reload: 1 s) before it signs.
    AUTH_KEY_PUBLISH_LEAD: '3s',
  };
  // One after the other: the first creates the schema and the first signing key.
  await startAuth();
  await startAuth();

  const gatewayPort = await freePort();
  gw = `http://127.0.0.1:${gatewayPort}`;
  const jwksUrl = `${gw}/.well-known/jwks.json`;

  // The chat service: verifies every token itself, with its own key cache and revocation feed.
  chatBus = await createJetStreamBus({ servers: '127.0.0.1:4222', stream: `T_E2E_${id}`, subjectPrefix: `t_e2e_${id}` });
  const chatRevocations = createRevocationList();
  chatVerifier = createVerifier({ issuer: ISSUER, audience: 'realchat', jwksUrl, revocations: chatRevocations, jwks: { cooldownMs: 100 } });
  await subscribeRevocations(chatBus, chatRevocations);
  chat = createHttpApp({ logger: silentLogger });
  // What every service publishes about itself: the gateway learns chat's routes from it.
  const manifest = { name: 'chat', prefixes: ['/chat'], access: [{ path: '/chat/hello', methods: ['GET'], auth: 'required' }], websockets: [] };
  await registerOpenApi(chat, { title: 'chat', version: '1', documentPath: '/chat/openapi.json', prefixes: ['/chat'], extensions: () => ({ [SERVICE_MANIFEST_MEMBER]: manifest }) });
  await chat.register(authGuard, { verifier: chatVerifier });
  chat.get('/chat/hello', { config: { auth: 'required' } }, async (request) => {
    chatSeen += 1;
    const principal = principalOf(request);
    return { userId: principal.kind === 'user' ? principal.userId : principal.clientId, roles: principal.roles };
  });
  chat.get('/chat/admin', { config: { auth: 'required', roles: ['ADMIN'] } }, async () => ({ ok: true }));
  await chat.listen({ port: 0, host: '127.0.0.1' });
  const chatUrl = `http://127.0.0.1:${(chat.server.address() as AddressInfo).port}`;

  store = createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: REDIS_PREFIX });
  gatewayBus = await createJetStreamBus({ servers: '127.0.0.1:4222', stream: `T_E2E_${id}`, subjectPrefix: `t_e2e_${id}` });
  gatewayAuthentication = createAuthentication({ issuer: ISSUER, audience: 'realchat', keys: { jwksUrl }, bus: gatewayBus, accessTokenTtlMs: 900_000, jwks: { cooldownMs: 100 } });
  gatewayVerifier = gatewayAuthentication.verifier;
  gateway = await buildGateway({
    config: gatewayConfig({
      upstreams: { chat: [chatUrl] },
      // As GATEWAY_REQUIRED_SERVICES=auth: no login without it.
      requiredServices: ['auth'],
      discovery: { intervalMs: 200 },
      rateLimit: { ip: false, user: false },
      ejection: { consecutiveFailures: 1, cooloffMs: 60_000 },
    }),
    logger: silentLogger,
    verifier: gatewayVerifier,
    store,
  });
  await gateway.listen({ port: gatewayPort, host: '127.0.0.1' });
  await eventually(() => gateway.gateway.pools.get('auth')?.instances.length === 2);
  await gatewayAuthentication.start();
  await chatVerifier.start();
  // A first key fetch that raced the gateway's discovery is retried in the background: wait for it.
  await eventually(() => gatewayVerifier.status().ready && chatVerifier.status().ready, 15_000);
}, 180_000);

afterAll(async () => {
  await Promise.all(auths.map((a) => a.kill()));
  await gateway?.close();
  await chat?.close();
  await gatewayAuthentication?.close();
  chatVerifier?.close();
  await gatewayBus?.close();
  await chatBus?.close();
  await store?.close();
  await db?.close();
});

describe('distributed: gateway, two auth processes, a chat service', { timeout: 60_000 }, () => {
  it('discovers the auth instances through the registry and routes to both', async () => {
    const pool = gateway.gateway.pools.get('auth')!;
    expect(pool.instances.map((i) => i.url).sort()).toEqual(auths.map((a) => a.url).sort());
    for (let i = 0; i < 4; i++) expect((await fetch(`${gw}/.well-known/jwks.json`)).status).toBe(200);
    const ready = (await (await fetch(`${gw}/readyz`)).json()) as { checks: { upstreams: { services: Record<string, { available: number }> } } };
    expect(ready.checks.upstreams.services['auth']?.available).toBe(2);
  });

  it('serves public routes without a token and protects the others at the edge and in the service', async () => {
    const user = await registerAndLogin();
    const before = chatSeen;
    const anonymous = await fetch(`${gw}/chat/hello`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(chatSeen).toBe(before);
    const me = await fetch(`${gw}/auth/me`, { headers: bearer(user.access) });
    expect(await me.json()).toMatchObject({ id: user.id, email: user.email, roles: ['STUDENT'] });
    const hello = await fetch(`${gw}/chat/hello`, { headers: bearer(user.access) });
    expect(await hello.json()).toEqual({ userId: user.id, roles: ['STUDENT'] });
    expect(chatSeen).toBe(before + 1);
    // A service guarded at its root still answers probes and metrics without a token (the gateway's health checks).
    for (const url of ['/healthz', '/readyz', '/metrics']) expect((await chat.inject({ url })).statusCode).toBe(200);
  });

  it('refuses every forged token with 401 invalid_token, never 403 or 500', async () => {
    const user = await registerAndLogin();
    const [h, p, s] = user.access.split('.') as [string, string, string];
    const header = decode(user.access).header;
    const payload = decode(user.access).payload;
    const jwks = (await (await fetch(`${gw}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    const publicPem = createPublicKey({ key: jwks.keys.find((k) => k.kid === header.kid)!, format: 'jwk' } as Parameters<typeof createPublicKey>[0])
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const hsInput = `${b64({ ...header, alg: 'HS256' })}.${p}`;
    const forged = {
      tampered: `${h}.${b64({ ...payload, roles: ['ADMIN'] })}.${s}`,
      algNone: `${b64({ ...header, alg: 'none' })}.${p}.`,
      hs256WithThePublicKey: `${hsInput}.${createHmac('sha256', publicPem).update(hsInput).digest('base64url')}`,
      unknownKid: `${b64({ ...header, kid: 'not-a-key' })}.${p}.${s}`,
      garbage: 'not.a.token',
    };
    for (const [name, token] of Object.entries(forged)) {
      for (const path of ['/auth/me', '/chat/hello']) {
        const res = await fetch(`${gw}${path}`, { headers: bearer(token) });
        expect({ name, path, status: res.status }).toEqual({ name, path, status: 401 });
        expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
        expect(((await res.json()) as { code: string }).code).toMatch(/^[A-Z_]+$/);
      }
    }
    // The chat service refuses them on its own too (a request that got past the edge some other way).
    const direct = await chat.inject({ method: 'GET', url: '/chat/hello', headers: bearer(forged.tampered) });
    expect(direct.statusCode).toBe(401);
  });

  it('checks roles: a STUDENT is 403 on ADMIN routes, an ADMIN passes', async () => {
    const student = await registerAndLogin();
    const admin = await registerAndLogin();
    expect((await fetch(`${gw}/chat/admin`, { headers: bearer(student.access) })).status).toBe(403);
    const patch = (token: string) =>
      fetch(`${gw}/auth/users/${student.id}/roles`, { method: 'PATCH', headers: { ...json, ...bearer(token) }, body: JSON.stringify({ roles: ['STUDENT'] }) });
    const refused = await patch(student.access);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('INSUFFICIENT_SCOPE');
    const granted = await runCli(['admin', 'grant', admin.email], sharedEnv);
    expect(granted.stdout).toContain('is now ADMIN');
    const adminToken = (await login(admin.email)).access;
    expect((await fetch(`${gw}/chat/admin`, { headers: bearer(adminToken) })).status).toBe(200);
    expect((await patch(adminToken)).status).toBe(200);
  });

  it('lets a service fetch a user projection with a client-credentials token; never through the gateway', async () => {
    const user = await registerAndLogin();
    const created = await runCli(['clients', 'create', 'chat', '--scope', 'users:read'], sharedEnv);
    const clientId = /client_id=(\S+)/.exec(created.stdout)![1]!;
    const clientSecret = /client_secret=(\S+)/.exec(created.stdout)![1]!;
    const source = createServiceTokenSource({ tokenUrl: `${gw}/oauth/token`, clientId, clientSecret });
    try {
      // The auth processes learn of a client made by another process at their next reload (AUTH_CLIENT_RELOAD_INTERVAL, 1s here).
      let token: string | undefined;
      for (let attempt = 0; token === undefined; attempt += 1) {
        token = await source.getToken().catch((error: unknown) => {
          if (attempt >= 30) throw error;
          return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100));
        });
      }
      expect(await source.getToken()).toBe(token);
      const res = await fetch(`${auths[0]!.url}/internal/users/${user.id}`, { headers: bearer(token) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: user.id, displayName: 'Ada', roles: ['STUDENT'] });
      expect((await fetch(`${gw}/internal/users/${user.id}`, { headers: bearer(token) })).status).toBe(404);
      // A user token lacks the service scope.
      expect((await fetch(`${auths[0]!.url}/internal/users/${user.id}`, { headers: bearer(user.access) })).status).toBe(403);
    } finally {
      source.close();
    }
  });

  it('refuses a revoked session everywhere within one second of the logout', async () => {
    const user = await registerAndLogin();
    const first = await fetch(`${gw}/chat/hello`, { headers: bearer(user.access) });
    expect(`${first.status} ${await first.text()}`).toMatch(/^200 /);
    expect((await chat.inject({ method: 'GET', url: '/chat/hello', headers: bearer(user.access) })).statusCode).toBe(200);
    const logout = await fetch(`${gw}/auth/logout`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: user.refresh }) });
    expect(logout.status).toBe(204);
    const elapsed = await eventually(async () => {
      const [edge, service] = await Promise.all([
        fetch(`${gw}/chat/hello`, { headers: bearer(user.access) }).then((r) => r.status),
        chat.inject({ method: 'GET', url: '/chat/hello', headers: bearer(user.access) }).then((r) => r.statusCode),
      ]);
      return edge === 401 && service === 401;
    }, 1000);
    expect(elapsed).toBeLessThan(1000);
  });

  it('after a key rotation, tokens of the new key verify after one refetch and the old ones still do', async () => {
    const user = await registerAndLogin();
    const oldKid = decode(user.access).header.kid;
    const rotated = await runCli(['keys', 'rotate'], sharedEnv);
    expect(rotated.code).toBe(0);
    // The auth processes reload their key set every second; the new key signs after the 3 s publish lead.
    let fresh = '';
    await eventually(async () => {
      fresh = (await login(user.email)).access;
      return decode(fresh).header.kid !== oldKid;
    });
    const fetchesBefore = gatewayVerifier.status().lastFetchAt;
    const viaNewKey = await fetch(`${gw}/chat/hello`, { headers: bearer(fresh) });
    expect(`${viaNewKey.status} ${await viaNewKey.text()}`).toMatch(/^200 /);
    expect(gatewayVerifier.status().lastFetchAt).not.toEqual(fetchesBefore);
    expect((await fetch(`${gw}/chat/hello`, { headers: bearer(user.access) })).status).toBe(200);
  });

  it('runs the gateway as its own process (server.ts) in front of the same auth', async () => {
    const proc = await startProcess('services/gateway/dist/server.js', {
      ...sharedEnv,
      GATEWAY_UPSTREAMS: `auth=${auths[0]!.url}`,
      AUTH_JWKS_URL: `${auths[0]!.url}/.well-known/jwks.json`,
      REDIS_PREFIX: `${REDIS_PREFIX}gw2:`,
    });
    try {
      const user = await registerAndLogin();
      const me = await fetch(`${proc.url}/auth/me`, { headers: bearer(user.access) });
      expect(me.status).toBe(200);
      expect((await fetch(`${proc.url}/auth/me`)).status).toBe(401);
      await eventually(async () => (await fetch(`${proc.url}/readyz`)).status === 200);
      expect(await (await fetch(`${proc.url}/metrics`)).text()).toContain('gateway_');
    } finally {
      expect(await proc.stop()).toBe(0);
    }
  });

  it('keeps serving when one of two auth instances is killed', async () => {
    const user = await registerAndLogin();
    await auths[1]!.kill();
    // Idempotent requests fail over to the live instance, and the dead one is ejected.
    for (let i = 0; i < 10; i++) expect((await fetch(`${gw}/auth/me`, { headers: bearer(user.access) })).status).toBe(200);
    expect(gateway.gateway.pools.get('auth')!.availableCount()).toBe(1);
    for (let i = 0; i < 3; i++) await login(user.email);
  });

  it('with auth stopped, existing tokens still verify and logins fail cleanly with 503', async () => {
    const user = await registerAndLogin();
    await auths[0]!.kill();
    expect((await fetch(`${gw}/chat/hello`, { headers: bearer(user.access) })).status).toBe(200);
    const res = await fetch(`${gw}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: user.email, password: PASSWORD }) });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { code: string }).code).toBe('UPSTREAM_UNAVAILABLE');
    await gateway.gateway.checkUpstreams();
    const ready = await fetch(`${gw}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { keys: { ok: true } } });
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@realchat/config';
import { createTcpProxy, createTestDatabase, type TcpProxy, type TestDatabase } from '@realchat/db/testing';
import { silentLogger } from '@realchat/logging';
import type { AuthModule } from '@realchat/auth';
import type { GatewayEnv } from '@realchat/gateway';
import { SERVICE_MANIFEST_MEMBER } from '@realchat/http';
import { createRuntime, type Runtime, type RuntimeEnv } from '@realchat/runtime';
import { cliEnvSchema } from '../src/commands.js';
import { SERVICES } from '../src/services.js';
import { buildEmbeddedSystem, type EmbeddedSystem } from '../src/system.js';

/**
 * The embedded mode end to end: the gateway with auth mounted in the same process, on the
 * embedded engines (PGlite, in-memory store, in-process bus) and on PostgreSQL, plus a proxied
 * upstream standing in for a service that runs elsewhere.
 */
const PASSWORD = 'correct horse battery';
const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

describe.each(['pglite', 'postgres'] as const)('embedded system on %s', { timeout: 60_000 }, (kind) => {
  let dataDir: string;
  let db: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let runtime: Runtime;
  let system: EmbeddedSystem;
  let upstream: Server;
  let url: string;
  let upstreamHits = 0;
  let auth: AuthModule;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'realchat-embedded-'));
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      db = await createTestDatabase('postgres');
      // Through a proxy the test can cut, to take the database away.
      proxy = await createTcpProxy({ host: '127.0.0.1', port: 5432 });
      databaseUrl = db.url!.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`);
    }
    const env = loadConfig(cliEnvSchema(SERVICES), {
      DATA_DIR: dataDir,
      ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
      AUTH_BCRYPT_COST: '4',
      AUTH_KEY_PUBLISH_LEAD: '0s',
      AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AUTH_LOGIN_IP_LIMIT: '10000',
    }) as RuntimeEnv & GatewayEnv & Record<string, unknown>;
    runtime = await createRuntime(env, { name: 'test', logger: silentLogger });
    upstream = createServer((req, res) => {
      if (req.url === '/wiki/openapi.json') {
        // What a wiki service running elsewhere publishes about itself.
        const manifest = { name: 'wiki', prefixes: ['/wiki'], access: [], websockets: [] };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ openapi: '3.1.0', info: { title: 'wiki', version: '1' }, paths: {}, [SERVICE_MANIFEST_MEMBER]: manifest }));
        return;
      }
      upstreamHits += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, authorization: req.headers.authorization ?? null }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const wikiUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    system = await buildEmbeddedSystem(env, runtime, { services: SERVICES, configure: (config) => ({ ...config, upstreams: { wiki: [wikiUrl] } }) });
    auth = system.host.services.find((s) => s.definition.name === 'auth')!.instance as AuthModule;
    url = await system.app.listen({ port: 0, host: '127.0.0.1' });
    await system.host.start();
    await system.app.gateway.refreshDocs();
  }, 120_000);

  afterAll(async () => {
    await system?.app.close();
    await system?.host.stop();
    await runtime?.close();
    await proxy?.close();
    await db?.close();
    upstream?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function user(): Promise<{ id: string; email: string; access: string; refresh: string }> {
    const email = `u${randomBytes(5).toString('hex')}@example.com`;
    const reg = await fetch(`${url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD, displayName: 'Ada' }) });
    expect(reg.status).toBe(201);
    const { id } = (await reg.json()) as { id: string };
    const res = await fetch(`${url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { access_token: string; refresh_token: string };
    return { id, email, access: tokens.access_token, refresh: tokens.refresh_token };
  }

  it('serves auth in process and proxies the other prefixes, with the token checked at the edge', async () => {
    const u = await user();
    expect(await (await fetch(`${url}/auth/me`, { headers: bearer(u.access) })).json()).toMatchObject({ id: u.id, roles: ['STUDENT'] });
    const before = upstreamHits;
    const anonymous = await fetch(`${url}/wiki/rooms`);
    expect(anonymous.status).toBe(401);
    expect(upstreamHits).toBe(before);
    const proxied = await fetch(`${url}/wiki/rooms?x=1`, { headers: bearer(u.access) });
    expect(await proxied.json()).toEqual({ path: '/wiki/rooms?x=1', authorization: `Bearer ${u.access}` });
    expect((await fetch(`${url}/internal/users/${u.id}`)).status).toBe(404);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('refuses a tampered token with 401 and a STUDENT on an ADMIN route with 403', async () => {
    const u = await user();
    const [h, p, s] = u.access.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, roles: ['ADMIN'] })).toString('base64url')}.${s}`;
    const patch = (token: string) => fetch(`${url}/auth/users/${u.id}/roles`, { method: 'PATCH', headers: { ...json, ...bearer(token) }, body: JSON.stringify({ roles: ['ADMIN'] }) });
    const forged = await patch(tampered);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await patch(u.access)).status).toBe(403);
    const admin = await user();
    expect(await auth.users.grantAdmin(admin.email)).toBe(true);
    const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: admin.email, password: PASSWORD }) });
    const adminToken = ((await login.json()) as { access_token: string }).access_token;
    expect((await patch(adminToken)).status).toBe(200);
  });

  it('refuses a logged-out session at once, at the edge as in the service', async () => {
    const u = await user();
    expect((await fetch(`${url}/wiki/x`, { headers: bearer(u.access) })).status).toBe(200);
    expect((await fetch(`${url}/auth/logout-all`, { method: 'POST', headers: bearer(u.access) })).status).toBe(204);
    expect((await fetch(`${url}/wiki/x`, { headers: bearer(u.access) })).status).toBe(401);
    expect((await fetch(`${url}/auth/me`, { headers: bearer(u.access) })).status).toBe(401);
  });

  it('verifies tokens of a rotated key at once (same key set, no HTTP round trip)', async () => {
    const u = await user();
    const kid = await auth.keys.rotate();
    // The scheduled maintenance promotes the next key once its publish lead (0 here) has passed.
    await auth.keys.maintain();
    const fresh = await user();
    expect(kidOf(fresh.access)).toBe(kid);
    expect(kidOf(u.access)).not.toBe(kid);
    for (const token of [u.access, fresh.access]) expect((await fetch(`${url}/wiki/x`, { headers: bearer(token) })).status).toBe(200);
  });

  // Only PostgreSQL can be taken away (through the proxy); PGlite lives in this process.
  if (kind === 'postgres') it('with the database down, tokens still verify and logins answer 503, then recover', async () => {
    const u = await user();
    await proxy!.stop();
    try {
      expect((await fetch(`${url}/wiki/x`, { headers: bearer(u.access) })).status).toBe(200);
      const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: u.email, password: PASSWORD }) });
      expect(login.status).toBe(503);
      const problem = (await login.json()) as { code: string; detail?: string };
      expect(problem.code).toBe('DATABASE_UNAVAILABLE');
      expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
    } finally {
      await proxy!.start();
    }
    const again = await fetch(`${url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email: u.email, password: PASSWORD }) });
    expect(again.status).toBe(200);
  });
});

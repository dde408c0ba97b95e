import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { EventEnvelope } from '@realchat/contracts';
import { loadConfig } from '@realchat/config';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import type { GatewayEnv } from '@realchat/gateway';
import { SERVICE_MANIFEST_MEMBER } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { createRuntime, type Runtime, type RuntimeEnv } from '@realchat/runtime';
import { cliEnvSchema } from '../src/commands.js';
import { SERVICES } from '../src/services.js';
import { buildEmbeddedSystem, type EmbeddedSystem } from '../src/system.js';
import { notesService } from './fixtures/notes/service.js';
import { freePort, startProcess, type ServiceProcess } from './processes.js';

/**
 * The service kit's promise: a service written against it (test/fixtures/notes: public, signed-in
 * and ADMIN routes, a migration, its own error code, a published and a consumed event, a WebSocket
 * endpoint) runs embedded beside auth and as its own process behind the gateway's process, with
 * no line of the gateway, the CLI or a shared package naming it.
 */
const PASSWORD = 'correct horse battery';
const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function eventually(predicate: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The checks every host must pass, against a base URL that fronts auth and notes. */
function behavesAsDeclared(base: () => string, published: () => EventEnvelope[]): void {
  let user: { id: string; access: string };

  beforeAll(async () => {
    const email = `u${randomBytes(5).toString('hex')}@example.com`;
    const reg = await fetch(`${base()}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD, displayName: 'Ada' }) });
    expect(reg.status).toBe(201);
    const { id } = (await reg.json()) as { id: string };
    const login = await fetch(`${base()}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
    user = { id, access: ((await login.json()) as { access_token: string }).access_token };
  });

  it('opens the routes the service declares public, and only those, at the edge', async () => {
    expect(await (await fetch(`${base()}/notes/hello`)).json()).toEqual({ hello: 'notes' });
    // A path the service never declared: a token is required before anything else is said.
    const unknown = await fetch(`${base()}/notes/nope`);
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await fetch(`${base()}/notes/nope`, { headers: bearer(user.access) })).status).toBe(404);
    const admin = await fetch(`${base()}/notes/admin`, { headers: bearer(user.access) });
    expect([admin.status, ((await admin.json()) as { code: string }).code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
  });

  it('publishes its manifest in its own API document', async () => {
    const doc = (await (await fetch(`${base()}/notes/openapi.json`)).json()) as Record<string, unknown>;
    expect(doc[SERVICE_MANIFEST_MEMBER]).toMatchObject({
      name: 'notes',
      prefixes: ['/notes'],
      websockets: ['/notes/ws'],
      access: expect.arrayContaining([expect.objectContaining({ path: '/notes/hello', auth: 'none' }), expect.objectContaining({ path: '/notes/admin', roles: ['ADMIN'] })]),
    });
  });

  it('consumes user.created into its own schema', async () => {
    await eventually(async () => (await fetch(`${base()}/notes/users/${user.id}`, { headers: bearer(user.access) })).status === 200);
    expect(await (await fetch(`${base()}/notes/users/${user.id}`, { headers: bearer(user.access) })).json()).toEqual({ displayName: 'Ada' });
  });

  it('answers with its own error code, and publishes its own event through its outbox', async () => {
    const long = await fetch(`${base()}/notes`, { method: 'POST', headers: { ...json, ...bearer(user.access) }, body: JSON.stringify({ body: 'x'.repeat(21) }) });
    expect([long.status, ((await long.json()) as { code: string }).code]).toEqual([400, 'NOTE_TOO_LONG']);
    const created = await fetch(`${base()}/notes`, { method: 'POST', headers: { ...json, ...bearer(user.access) }, body: JSON.stringify({ body: 'hello' }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await eventually(() => published().some((e) => e.type === 'notes.note.created' && (e.data as { noteId: string }).noteId === id));
  });

  it('serves its WebSocket endpoint through the one upgrade dispatcher, with its frame cap', async () => {
    const socket = new WebSocket(`${base().replace(/^http/, 'ws')}/notes/ws`);
    const frames: unknown[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data))));
    await once(socket, 'open');
    socket.send('ping');
    await eventually(() => frames.length === 2);
    expect(frames).toEqual([{ type: 'hello' }, { type: 'echo', text: 'ping' }]);
    socket.send('x'.repeat(2000));
    const [code] = (await once(socket, 'close')) as [number];
    expect(code).toBe(1009);
    // Cross-site origins are refused before the service sees the handshake.
    const foreign = new WebSocket(`${base().replace(/^http/, 'ws')}/notes/ws`, { headers: { origin: 'https://evil.example' } });
    const [, res] = (await once(foreign, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(403);
  });
}

describe('a service added with the kit: embedded beside auth', { timeout: 60_000 }, () => {
  let dataDir: string;
  let runtime: Runtime;
  let system: EmbeddedSystem;
  let url = '';
  const published: EventEnvelope[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'realchat-kit-'));
    const services = [...SERVICES, notesService];
    const env = loadConfig(cliEnvSchema(services), {
      DATA_DIR: dataDir,
      AUTH_BCRYPT_COST: '4',
      AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      AUTH_LOGIN_IP_LIMIT: '10000',
    }) as RuntimeEnv & GatewayEnv & Record<string, unknown>;
    runtime = await createRuntime(env, { name: 'test', logger: silentLogger });
    await runtime.bus.subscribe({ types: ['notes.note.created'], handler: async (e) => void published.push(e) });
    system = await buildEmbeddedSystem(env, runtime, { services, relayPollIntervalMs: 50 });
    url = await system.app.listen({ port: 0, host: '127.0.0.1' });
    await system.host.start();
  }, 120_000);

  afterAll(async () => {
    await system?.app.close();
    await system?.host.stop();
    await runtime?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  behavesAsDeclared(() => url, () => published);
});

describe('a service added with the kit: its own process behind the gateway process', { timeout: 60_000 }, () => {
  const id = randomBytes(4).toString('hex');
  const processes: ServiceProcess[] = [];
  const published: EventEnvelope[] = [];
  let db: TestDatabase;
  let runtime: Runtime;
  let gateway = '';

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    const issuer = 'http://auth.kit.test';
    const shared = {
      DATABASE_URL: db.url!,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: `t:kit:${id}:`,
      NATS_URL: '127.0.0.1:4222',
      NATS_STREAM: `T_KIT_${id}`,
      NATS_SUBJECT_PREFIX: `t_kit_${id}`,
      AUTH_ISSUER: issuer,
    };
    // The test's own view of the bus, to see what notes publishes.
    runtime = await createRuntime(loadConfig(cliEnvSchema(SERVICES), { ...shared, DATA_DIR: join(tmpdir(), `unused-${id}`) }) as RuntimeEnv & Record<string, unknown>, { name: 'test', logger: silentLogger });
    await runtime.bus.subscribe({ types: ['notes.note.created'], handler: async (e) => void published.push(e) });

    const authPort = await freePort();
    processes.push(
      await startProcess('services/auth/dist/server.js', {
        ...shared,
        PORT: String(authPort),
        ANNOUNCE_URL: `http://127.0.0.1:${authPort}`,
        AUTH_BCRYPT_COST: '4',
        AUTH_LOGIN_IP_LIMIT: '10000',
        AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      }),
    );
    const jwks = `http://127.0.0.1:${authPort}/.well-known/jwks.json`;
    const notesPort = await freePort();
    processes.push(await startProcess('apps/cli/test/fixtures/notes/server.ts', { ...shared, PORT: String(notesPort), ANNOUNCE_URL: `http://127.0.0.1:${notesPort}`, AUTH_JWKS_URL: jwks }));
    const gw = await startProcess('services/gateway/dist/server.js', {
      ...shared,
      AUTH_JWKS_URL: jwks,
      GATEWAY_DISCOVERY_INTERVAL: '200ms',
      GATEWAY_REQUIRED_SERVICES: 'auth,notes',
      GATEWAY_RATE_LIMIT_IP: 'off',
    });
    processes.push(gw);
    gateway = gw.url;
    // Ready once it found both and learned their routes.
    await eventually(async () => (await fetch(`${gateway}/readyz`)).status === 200, 30_000);
  }, 180_000);

  afterAll(async () => {
    for (const p of processes.reverse()) await p.stop();
    await runtime?.close();
    await db?.close();
  });

  behavesAsDeclared(() => gateway, () => published);
});

import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { createAuthService, toAuthSettings } from '@realchat/auth';
import { createInProcessBus, createInProcessLiveChannel, createJetStreamBus, type EventBus, type LiveChannel } from '@realchat/bus';
import { ManualClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import type { EventEnvelope } from '@realchat/contracts';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { buildGateway, gatewayConfig } from '@realchat/gateway';
import type { App } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { createServiceHost, serviceEnvSchema, type RuntimeEnv, type ServiceHost } from '@realchat/runtime';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';
import { forumService } from '../src/index.js';

/** Embedded engines (PGlite, in-process bus, memory store) or the real ones (Postgres, NATS JetStream, Redis). */
export const variants = ['embedded', 'distributed'] as const;
export type Variant = (typeof variants)[number];

/** The category every fresh install has (migration 001). */
export const DEFAULT_CATEGORY_ID = '00000000-0000-4000-8000-000000000001';

export interface ForumHarness {
  /** The gateway hosting auth and the forum, listening on `base`. */
  readonly gateway: App;
  readonly base: string;
  readonly host: ServiceHost;
  readonly db: TestDatabase;
  readonly bus: EventBus;
  readonly clock: ManualClock;
  /** Every forum and user event seen on the bus since start, in order. */
  readonly events: EventEnvelope[];
  close(): Promise<void>;
}

/** Auth and the forum hosted in one gateway process, as `npm start` runs them, on the engines of `variant`. */
export async function startForum(variant: Variant, options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<ForumHarness> {
  const id = randomBytes(4).toString('hex');
  const clock = new ManualClock(Date.now());
  const db = await createTestDatabase(variant === 'embedded' ? 'pglite' : 'postgres');
  const bus =
    variant === 'embedded'
      ? createInProcessBus({ clock })
      : await createJetStreamBus({ servers: '127.0.0.1:4222', stream: `T_FORUM_${id}`, subjectPrefix: `t_forum_${id}` });
  // The forum sends no live frames; the host still wants a channel.
  const live: LiveChannel = createInProcessLiveChannel();
  const store: KeyValueStore = variant === 'embedded' ? createMemoryStore({ clock }) : createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: `t:forum:${id}:` });
  const events: EventEnvelope[] = [];
  const sub = await bus.subscribe({ types: ['user.created', 'user.updated', 'forum.post.created', 'forum.comment.created'], handler: async (e) => void events.push(e) });

  const authService = createAuthService({
    settings: (authEnv) => ({ ...toAuthSettings(authEnv), bcryptCost: 4, bcryptConcurrency: 1, loginIpLimitPerMinute: 100_000, registerIpLimitPerMinute: 100_000 }),
    keyEncryptionKey: randomBytes(32),
  });
  const definitions = [authService, forumService];
  // serviceEnvSchema holds RuntimeEnvSchema's members: what it loads is a RuntimeEnv and more.
  const env = loadConfig(serviceEnvSchema(definitions), { AUTH_ISSUER: 'http://auth.test', ...options.env }) as RuntimeEnv & Readonly<Record<string, unknown>>;
  const host = await createServiceHost({ definitions, engines: { db, bus, live, store, clock, logger: silentLogger, embeddedDataDir: undefined }, env, relayPollIntervalMs: 20 });
  const gateway = await buildGateway({ config: gatewayConfig({ rateLimit: { ip: false, user: false } }), logger: silentLogger, clock, verifier: host.authentication.verifier, store, host });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  await host.start();
  const { port } = gateway.server.address() as AddressInfo;
  return {
    gateway,
    base: `http://127.0.0.1:${port}`,
    host,
    db,
    bus,
    clock,
    events,
    async close() {
      await host.stop();
      await gateway.close();
      await sub.unsubscribe();
      await bus.close();
      await live.close();
      await store.close();
      await db.close();
    },
  };
}

export const PASSWORD = 'correct horse battery';
let counter = 0;
const uniqueEmail = (): string => `f${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}@example.com`;

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly token: string;
}

/** A JSON call through the gateway as `user`; returns the status, the parsed body (null when empty) and the headers. */
export async function call<T = unknown>(h: Pick<ForumHarness, 'base'>, user: Pick<TestUser, 'token'> | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (user !== null) headers['authorization'] = `Bearer ${user.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${h.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T, headers: res.headers };
}

/** Registers and signs in a user through the gateway. */
export async function signUp(h: Pick<ForumHarness, 'base'>, displayName = 'Ada'): Promise<TestUser> {
  const email = uniqueEmail();
  const reg = await call<{ id: string }>(h, null, 'POST', '/auth/register', { email, password: PASSWORD, displayName });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call<{ access_token: string }>(h, null, 'POST', '/auth/login', { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: reg.body.id, email, displayName, token: login.body.access_token };
}

/** `user` made ADMIN in auth, signed in again for a token that says so. */
export async function promote(h: Pick<ForumHarness, 'base' | 'db'>, user: TestUser): Promise<TestUser> {
  await h.db.query(`update auth.users set roles = array['ADMIN', 'STUDENT'] where id = $1`, [user.id]);
  const login = await call<{ access_token: string }>(h, null, 'POST', '/auth/login', { email: user.email, password: PASSWORD });
  expect(login.status).toBe(200);
  return { ...user, token: login.body.access_token };
}

/** Waits (real time, bounded) until `predicate` holds. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}
export interface Problem {
  code: string;
}

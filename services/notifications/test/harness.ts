import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { WebSocket } from 'ws';
import { createAuthService, toAuthSettings, type AuthModule } from '@realchat/auth';
import { createAuthentication } from '@realchat/auth-verify';
import { createInProcessBus, createInProcessLiveChannel, createJetStreamBus, createNatsLiveChannel, type EventBus, type LiveChannel } from '@realchat/bus';
import { ManualClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import { newId, type EventEnvelope } from '@realchat/contracts';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { buildGateway, gatewayConfig } from '@realchat/gateway';
import type { App } from '@realchat/http';
import { createLogger, silentLogger, type Logger } from '@realchat/logging';
import { createServiceHost, serviceEnvSchema, type RuntimeEnv, type ServiceHost } from '@realchat/runtime';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';
import { notificationsService, type Notification, type NotificationsModule } from '../src/index.js';

/** Embedded engines (PGlite, in-process bus, memory store) or the real ones (Postgres, NATS JetStream, Redis). */
export const variants = ['embedded', 'distributed'] as const;
export type Variant = (typeof variants)[number];

export interface NotificationsHarness {
  /** The gateway hosting auth and notifications, on `base` (HTTP) and `wsUrl` (/notifications/ws). */
  readonly gateway: App;
  readonly base: string;
  readonly wsUrl: string;
  readonly host: ServiceHost;
  readonly auth: AuthModule;
  readonly notifications: NotificationsModule;
  readonly db: TestDatabase;
  readonly bus: EventBus;
  readonly store: KeyValueStore;
  readonly clock: ManualClock;
  /** Every line the host logged (JSON), for the assertions on log lines. */
  readonly logs: Array<Record<string, unknown>>;
  /** Publishes an event as its producer's relay would (envelope built here: the bus checks only what this process registered). */
  publish(type: string, data: unknown, producer?: string): Promise<EventEnvelope>;
  /**
   * Another notification instance (notifications alone, behind its own gateway) on the same
   * database, bus and store: a second process of distributed mode. Closed by `close()` at the latest.
   */
  addInstance(): Promise<NotificationsInstance>;
  close(): Promise<void>;
}

export interface NotificationsInstance {
  readonly wsUrl: string;
  readonly host: ServiceHost;
  readonly notifications: NotificationsModule;
  close(): Promise<void>;
}

/** A logger keeping its JSON lines in `lines`. */
function capturingLogger(lines: Array<Record<string, unknown>>): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return createLogger({ level: 'warn', name: 'notifications-test' }, sink);
}

/** Auth and notifications hosted in one gateway process, as `npm start` runs them, on the engines of `variant`. */
export async function startNotifications(variant: Variant, options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<NotificationsHarness> {
  const id = randomBytes(4).toString('hex');
  const clock = new ManualClock(Date.now());
  const db = await createTestDatabase(variant === 'embedded' ? 'pglite' : 'postgres');
  const bus =
    variant === 'embedded'
      ? createInProcessBus({ clock })
      : await createJetStreamBus({ servers: '127.0.0.1:4222', stream: `T_NOTIF_${id}`, subjectPrefix: `t_notif_${id}`, retryDelayMs: 50 });
  const liveSubjectPrefix = `t_notif_live_${id}`;
  const live: LiveChannel = variant === 'embedded' ? createInProcessLiveChannel() : await createNatsLiveChannel({ servers: '127.0.0.1:4222', subjectPrefix: liveSubjectPrefix });
  const store = variant === 'embedded' ? createMemoryStore({ clock }) : createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: `t:notif:${id}:` });
  const logs: Array<Record<string, unknown>> = [];
  const logger = capturingLogger(logs);

  const authService = createAuthService({
    settings: (authEnv) => ({ ...toAuthSettings(authEnv), bcryptCost: 4, bcryptConcurrency: 1, loginIpLimitPerMinute: 100_000, registerIpLimitPerMinute: 100_000 }),
    keyEncryptionKey: randomBytes(32),
  });
  const definitions = [authService, notificationsService];
  const env = loadConfig(serviceEnvSchema(definitions), { AUTH_ISSUER: 'http://auth.test', ...options.env }) as RuntimeEnv & Readonly<Record<string, unknown>>;
  const host = await createServiceHost({ definitions, engines: { db, bus, live, store, clock, logger, embeddedDataDir: undefined }, env, relayPollIntervalMs: 20 });
  const config = gatewayConfig({ rateLimit: { ip: false, user: false } });
  const gateway = await buildGateway({ config, logger: silentLogger, clock, verifier: host.authentication.verifier, store, host });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  await host.start();
  const { port } = gateway.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const instances: NotificationsInstance[] = [];
  const auth = host.services.find((s) => s.definition.name === 'auth')!.instance as AuthModule;
  return {
    gateway,
    base,
    wsUrl: `ws://127.0.0.1:${port}/notifications/ws`,
    host,
    auth,
    notifications: host.services.find((s) => s.definition.name === 'notifications')!.instance as NotificationsModule,
    db,
    bus,
    store,
    clock,
    logs,
    async publish(type, data, producer = type.split('.')[0]!) {
      const event: EventEnvelope = { id: newId(), type, version: 1, occurredAt: clock.now().toISOString(), producer, data };
      await bus.publish(event);
      return event;
    },
    async addInstance() {
      const own = variant === 'distributed' ? await createNatsLiveChannel({ servers: '127.0.0.1:4222', subjectPrefix: liveSubjectPrefix }) : undefined;
      const authentication = createAuthentication({ issuer: 'http://auth.test', audience: 'realchat', keys: { jwksUrl: `${base}/.well-known/jwks.json` }, bus, accessTokenTtlMs: 15 * 60_000, clock });
      const second = await createServiceHost({
        definitions: [notificationsService],
        engines: { db, bus, live: own ?? live, store, clock, logger, embeddedDataDir: undefined },
        env,
        authentication,
        identity: auth.identity,
        migrate: false,
      });
      const edge = await buildGateway({ config, logger: silentLogger, clock, verifier: authentication.verifier, store, host: second });
      await edge.listen({ port: 0, host: '127.0.0.1' });
      await second.start();
      let closing: Promise<void> | undefined;
      const instance: NotificationsInstance = {
        wsUrl: `ws://127.0.0.1:${(edge.server.address() as AddressInfo).port}/notifications/ws`,
        host: second,
        notifications: second.services[0]!.instance as NotificationsModule,
        close: () =>
          (closing ??= (async () => {
            await second.stop();
            await edge.close();
            await own?.close();
          })()),
      };
      instances.push(instance);
      return instance;
    },
    async close() {
      for (const instance of instances) await instance.close();
      await host.stop();
      await gateway.close();
      await bus.close();
      await live.close();
      await store.close();
      await db.close();
    },
  };
}

export const PASSWORD = 'correct horse battery';
let counter = 0;
export const uniqueEmail = (): string => `n${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}@example.com`;

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly token: string;
  readonly sessionId: string;
}

/** Registers and signs in a user through the gateway. */
export async function signUp(h: Pick<NotificationsHarness, 'base'>, displayName = 'Ada'): Promise<TestUser> {
  const email = uniqueEmail();
  const reg = await fetch(`${h.base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD, displayName }) });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
  const { id } = (await reg.json()) as { id: string };
  return { id, email, ...(await login(h, email)) };
}

/** Signs in; `userAgent` is the device as auth sees it. */
export async function login(h: Pick<NotificationsHarness, 'base'>, email: string, userAgent = 'test-agent'): Promise<{ token: string; sessionId: string }> {
  const res = await fetch(`${h.base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': userAgent }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { access_token: token } = (await res.json()) as { access_token: string };
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sid: string };
  return { token, sessionId: claims.sid };
}

/** A JSON call through the gateway as `user`; returns the status and the parsed body (null when empty). */
export async function call<T = unknown>(h: Pick<NotificationsHarness, 'base'>, user: Pick<TestUser, 'token'> | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (user !== null) headers['authorization'] = `Bearer ${user.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${h.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

export interface InboxPage {
  readonly items: Notification[];
  readonly nextCursor: string | null;
  readonly unreadCount: number;
}

/** The user's whole inbox, newest first. */
export async function inboxOf(h: Pick<NotificationsHarness, 'base'>, user: Pick<TestUser, 'token'>): Promise<InboxPage> {
  const res = await call<InboxPage>(h, user, 'GET', '/notifications?limit=100');
  if (res.status !== 200) throw new Error(`inbox: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Waits (real time, bounded) until `predicate` holds. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until `user`'s inbox holds `n` notifications, and returns it. */
export async function inboxWith(h: Pick<NotificationsHarness, 'base'>, user: Pick<TestUser, 'token'>, n: number): Promise<InboxPage> {
  let page: InboxPage | undefined;
  await eventually(async () => (page = await inboxOf(h, user)).items.length >= n);
  return page!;
}

export type Frame = Record<string, unknown> & { type: string };

/** A WebSocket client that records every frame and can wait for one. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  send(frame: unknown): void;
  /** The first frame after the last one returned matching `predicate`, waiting for it (real time, bounded). */
  next(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  closed(): Promise<number>;
  close(): void;
}

export async function openSocket(url: string): Promise<TestSocket> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  let closeCode: number | undefined;
  const closeWaiters: Array<(code: number) => void> = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  ws.on('close', (code) => {
    closeCode = code;
    for (const w of closeWaiters) w(code);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let seen = 0;
  return {
    ws,
    frames,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    async next(predicate, timeoutMs = 5_000) {
      let found: Frame | undefined;
      await eventually(() => {
        const index = frames.findIndex((f, i) => i >= seen && predicate(f));
        if (index === -1) return false;
        found = frames[index];
        seen = index + 1;
        return true;
      }, timeoutMs);
      return found!;
    },
    closed: () => (closeCode !== undefined ? Promise.resolve(closeCode) : new Promise((resolve) => closeWaiters.push(resolve))),
    close: () => ws.close(),
  };
}

/** A socket that has sent `auth` and received `ready` and the first `unread`. */
export async function connect(url: string, user: Pick<TestUser, 'token'>): Promise<TestSocket> {
  const socket = await openSocket(url);
  socket.send({ type: 'auth', token: user.token });
  await socket.next((f) => f.type === 'ready');
  await socket.next((f) => f.type === 'unread');
  return socket;
}

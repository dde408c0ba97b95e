import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { createAuthService, toAuthSettings, type AuthModule } from '@realchat/auth';
import { createAuthentication } from '@realchat/auth-verify';
import { createInProcessBus, createInProcessLiveChannel, createJetStreamBus, createNatsLiveChannel, type EventBus, type LiveChannel } from '@realchat/bus';
import { ManualClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import type { EventEnvelope } from '@realchat/contracts';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { buildGateway, gatewayConfig, type GatewayConfig } from '@realchat/gateway';
import type { App } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { createServiceHost, serviceEnvSchema, type RuntimeEnv, type ServiceHost } from '@realchat/runtime';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';
import { chatService, type ChatModule } from '../src/index.js';

/** Embedded engines (PGlite, in-process bus, memory store) or the real ones (Postgres, NATS JetStream, Redis). */
export const variants = ['embedded', 'distributed'] as const;
export type Variant = (typeof variants)[number];

export interface ChatHarness {
  /** The gateway hosting auth and chat, listening on `base` (HTTP) and `wsUrl` (/chat/ws). */
  readonly gateway: App;
  readonly base: string;
  readonly wsUrl: string;
  readonly host: ServiceHost;
  readonly auth: AuthModule;
  readonly chat: ChatModule;
  readonly db: TestDatabase;
  readonly bus: EventBus;
  /** Live fan-out between chat instances (NATS core subjects when distributed). */
  readonly live: LiveChannel;
  /** The live channel's subject prefix when distributed (another connection joins it with this). */
  readonly liveSubjectPrefix: string;
  readonly store: KeyValueStore;
  /** The injected clock: starts at the real time; tests move it. */
  readonly clock: ManualClock;
  /** Every event seen on the bus since start, in order. */
  readonly events: EventEnvelope[];
  /**
   * Another chat instance (chat alone, behind its own gateway) on the same database, bus and
   * store, verifying tokens with auth's published keys: a second process of distributed mode.
   * `live` replaces its live channel (the caller closes it); closed by `close()` at the latest.
   */
  addInstance(options?: { readonly live?: LiveChannel }): Promise<ChatInstance>;
  close(): Promise<void>;
}

/** A second chat instance of a harness. */
export interface ChatInstance {
  readonly wsUrl: string;
  readonly host: ServiceHost;
  readonly chat: ChatModule;
  close(): Promise<void>;
}

export interface ChatHarnessOptions {
  /** Chat's variables (CHAT_*), as strings, as the environment would give them. */
  readonly env?: Readonly<Record<string, string>>;
  readonly configure?: (config: GatewayConfig) => GatewayConfig;
}

/** Auth and chat hosted in one gateway process, as `npm start` runs them, on the engines of `variant`. */
export async function startChat(variant: Variant, options: ChatHarnessOptions = {}): Promise<ChatHarness> {
  const id = randomBytes(4).toString('hex');
  const clock = new ManualClock(Date.now());
  const db = await createTestDatabase(variant === 'embedded' ? 'pglite' : 'postgres');
  const bus =
    variant === 'embedded'
      ? createInProcessBus({ clock })
      : await createJetStreamBus({ servers: '127.0.0.1:4222', stream: `T_CHAT_${id}`, subjectPrefix: `t_chat_${id}` });
  const liveSubjectPrefix = `t_chat_live_${id}`;
  const live = variant === 'embedded' ? createInProcessLiveChannel() : await createNatsLiveChannel({ servers: '127.0.0.1:4222', subjectPrefix: liveSubjectPrefix });
  const store = variant === 'embedded' ? createMemoryStore({ clock }) : createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: `t:chat:${id}:` });
  const events: EventEnvelope[] = [];
  const sub = await bus.subscribe({ types: ['user.created', 'user.updated', 'session.revoked', 'chat.message.created', 'chat.friend_request.created', 'chat.friend_request.accepted'], handler: async (e) => void events.push(e) });

  const authService = createAuthService({
    settings: (authEnv) => ({ ...toAuthSettings(authEnv), bcryptCost: 4, bcryptConcurrency: 1, loginIpLimitPerMinute: 100_000, registerIpLimitPerMinute: 100_000 }),
    keyEncryptionKey: randomBytes(32),
  });
  const definitions = [authService, chatService];
  // serviceEnvSchema holds RuntimeEnvSchema's members: what it loads is a RuntimeEnv and more.
  const env = loadConfig(serviceEnvSchema(definitions), { AUTH_ISSUER: 'http://auth.test', ...options.env }) as RuntimeEnv & Readonly<Record<string, unknown>>;
  const host = await createServiceHost({
    definitions,
    engines: { db, bus, live, store, clock, logger: silentLogger, embeddedDataDir: undefined },
    env,
    relayPollIntervalMs: 20,
  });
  const config = (options.configure ?? ((c) => c))(gatewayConfig({ rateLimit: { ip: false, user: false } }));
  const gateway = await buildGateway({ config, logger: silentLogger, clock, verifier: host.authentication.verifier, store, host });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  await host.start();
  const { port } = gateway.server.address() as AddressInfo;
  const auth = host.services.find((s) => s.definition.name === 'auth')!.instance as AuthModule;
  const chat = host.services.find((s) => s.definition.name === 'chat')!.instance as ChatModule;
  const base = `http://127.0.0.1:${port}`;
  const instances: ChatInstance[] = [];
  return {
    gateway,
    base,
    wsUrl: `ws://127.0.0.1:${port}/chat/ws`,
    host,
    auth,
    chat,
    db,
    bus,
    live,
    liveSubjectPrefix,
    store,
    clock,
    events,
    async addInstance(extra = {}) {
      const own = extra.live === undefined && variant === 'distributed' ? await createNatsLiveChannel({ servers: '127.0.0.1:4222', subjectPrefix: liveSubjectPrefix }) : undefined;
      const authentication = createAuthentication({ issuer: 'http://auth.test', audience: 'realchat', keys: { jwksUrl: `${base}/.well-known/jwks.json` }, bus, accessTokenTtlMs: 15 * 60_000, clock });
      const second = await createServiceHost({
        definitions: [chatService],
        engines: { db, bus, live: extra.live ?? own ?? live, store, clock, logger: silentLogger, embeddedDataDir: undefined },
        env,
        authentication,
        identity: auth.identity,
        migrate: false,
        relayPollIntervalMs: 20,
      });
      const edge = await buildGateway({ config, logger: silentLogger, clock, verifier: authentication.verifier, store, host: second });
      await edge.listen({ port: 0, host: '127.0.0.1' });
      await second.start();
      let closing: Promise<void> | undefined;
      const instance: ChatInstance = {
        wsUrl: `ws://127.0.0.1:${(edge.server.address() as AddressInfo).port}/chat/ws`,
        host: second,
        chat: second.services[0]!.instance as ChatModule,
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
export const uniqueEmail = (): string => `u${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}@example.com`;

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly token: string;
  readonly sessionId: string;
}

/** Registers and signs in a user through the gateway. */
export async function signUp(h: Pick<ChatHarness, 'base'>, displayName = 'Ada'): Promise<TestUser> {
  const email = uniqueEmail();
  const reg = await fetch(`${h.base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD, displayName }) });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
  const { id } = (await reg.json()) as { id: string };
  const login = await fetch(`${h.base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const { access_token: token } = (await login.json()) as { access_token: string };
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sid: string };
  return { id, email, displayName, token, sessionId: claims.sid };
}

/** A JSON call through the gateway as `user`; returns the status and the parsed body (null when empty). */
export async function call<T = unknown>(h: Pick<ChatHarness, 'base'>, user: Pick<TestUser, 'token'> | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (user !== null) headers['authorization'] = `Bearer ${user.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${h.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

/** Waits (real time, bounded) until `predicate` holds. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A WebSocket client that records every frame and can wait for one. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly frames: Array<Record<string, unknown> & { type: string }>;
  send(frame: unknown): void;
  /** The first frame (from index `from`) matching `predicate`, waiting for it (real time, bounded). */
  next(predicate: (frame: Record<string, unknown> & { type: string }) => boolean, timeoutMs?: number): Promise<Record<string, unknown> & { type: string }>;
  /** Resolves with the close code. */
  closed(): Promise<number>;
  close(): void;
}

export async function openSocket(h: Pick<ChatHarness, 'wsUrl'>, headers: Record<string, string> = {}): Promise<TestSocket> {
  const ws = new WebSocket(h.wsUrl, { headers });
  const frames: TestSocket['frames'] = [];
  let closeCode: number | undefined;
  const closeWaiters: Array<(code: number) => void> = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as TestSocket['frames'][number]));
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
      let found: TestSocket['frames'][number] | undefined;
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

/** A socket that has sent `auth` and received `ready`. */
export async function connect(h: Pick<ChatHarness, 'wsUrl'>, user: Pick<TestUser, 'token'>): Promise<TestSocket> {
  const socket = await openSocket(h);
  socket.send({ type: 'auth', token: user.token });
  await socket.next((f) => f.type === 'ready');
  return socket;
}

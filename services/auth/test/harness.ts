import { randomBytes } from 'node:crypto';
import { createInProcessBus, createJetStreamBus, type EventBus } from '@realchat/bus';
import { ManualClock } from '@realchat/clock';
import type { EventEnvelope } from '@realchat/contracts';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { createHttpApp, type App } from '@realchat/http';
import { silentLogger, type Logger } from '@realchat/logging';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';
import { loadConfig } from '@realchat/config';
import { createServiceHost, RuntimeEnvSchema, type ServiceHost } from '@realchat/runtime';
import { createAuthService, type AuthModule, type AuthSettings } from '../src/index.js';

export const variants = ['embedded', 'distributed'] as const;
export type Variant = (typeof variants)[number];

export const testSettings = (overrides: Partial<AuthSettings> = {}): AuthSettings => ({
  issuer: 'http://auth.test',
  audience: 'realchat',
  signingAlg: 'RS256',
  signingKeyPem: undefined,
  accessTokenTtlMs: 15 * 60_000,
  refreshTokenTtlMs: 7 * 86_400_000,
  sessionMaxLifetimeMs: 30 * 86_400_000,
  refreshGraceMs: 5_000,
  keyRotationIntervalMs: 30 * 86_400_000,
  keyPublishLeadMs: 10 * 60_000,
  keyReloadIntervalMs: 30_000,
  clientReloadIntervalMs: 2_000,
  bcryptCost: 4,
  bcryptConcurrency: 1,
  bcryptNice: 0,
  loginIpLimitPerMinute: 1000,
  loginFailureLimit: 5,
  loginAccountFailureLimit: 20,
  loginDeviceFailureLimit: 10,
  registerIpLimitPerMinute: 1000,
  bootstrapAdminEmail: undefined,
  cookieSecure: true,
  ...overrides,
});

export interface Harness {
  readonly app: App;
  readonly module: AuthModule;
  /** The host running the module (started): a gateway can mount it as embedded mode does. */
  readonly host: ServiceHost;
  readonly db: TestDatabase;
  readonly bus: EventBus;
  readonly store: KeyValueStore;
  readonly clock: ManualClock;
  readonly kek: Buffer;
  /** Events seen on the bus since start, in order. */
  readonly events: EventEnvelope[];
  /** Builds a second module on the same database (another instance, or a restart with new settings). */
  restart(overrides?: Partial<AuthSettings>): Promise<{ app: App; module: AuthModule; host: ServiceHost; close(): Promise<void> }>;
  close(): Promise<void>;
}

/** Auth on PGlite + memory + in-process bus (embedded) or Postgres + Redis + NATS JetStream (distributed). */
export async function startAuth(variant: Variant, overrides: Partial<AuthSettings> = {}, options: { db?: TestDatabase; logger?: Logger } = {}): Promise<Harness> {
  const id = randomBytes(4).toString('hex');
  const clock = new ManualClock(Date.now());
  const db = options.db ?? (await createTestDatabase(variant === 'embedded' ? 'pglite' : 'postgres'));
  const bus =
    variant === 'embedded'
      ? createInProcessBus({ clock })
      : await createJetStreamBus({ servers: '127.0.0.1:4222', stream: `T_AUTH_${id}`, subjectPrefix: `t_auth_${id}` });
  const store = variant === 'embedded' ? createMemoryStore({ clock }) : createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: `t:auth:${id}:` });
  const kek = randomBytes(32);
  const events: EventEnvelope[] = [];
  const sub = await bus.subscribe({ types: ['user.created', 'user.roles_changed', 'session.revoked'], handler: async (e) => void events.push(e) });

  // Through the service host, as both hosts run auth: migrations, outbox relay, then the module.
  const build = async (settings: AuthSettings) => {
    const logger = options.logger ?? silentLogger;
    const host = await createServiceHost({
      definitions: [createAuthService({ settings: () => settings, keyEncryptionKey: kek })],
      engines: { db, bus, store, clock, logger, embeddedDataDir: undefined },
      env: loadConfig(RuntimeEnvSchema, {}),
      relayPollIntervalMs: 50,
    });
    const module = host.services[0]!.instance as AuthModule;
    const app = createHttpApp({ logger });
    await host.register(app);
    await app.ready();
    await host.start();
    return { app, module, host, close: async () => (await host.stop(), await app.close()) };
  };
  const main = await build(testSettings(overrides));
  return {
    app: main.app,
    module: main.module,
    host: main.host,
    db,
    bus,
    store,
    clock,
    kek,
    events,
    restart: (more = {}) => build(testSettings({ ...overrides, ...more })),
    async close() {
      await main.close();
      await sub.unsubscribe();
      await bus.close();
      await store.close();
      if (options.db === undefined) await db.close();
    },
  };
}

let counter = 0;
export const uniqueEmail = (): string => `user${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;
export const PASSWORD = 'correct horse battery';

export async function register(app: App, email = uniqueEmail(), password = PASSWORD): Promise<{ id: string; email: string }> {
  const res = await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password, displayName: 'Ada' } });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  refresh_expires_in: number;
  token_type: string;
}

export async function login(app: App, email: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Tokens> {
  const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, headers });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Waits (real time, bounded) until `predicate` holds; for events crossing a real bus. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString()), payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) };
}

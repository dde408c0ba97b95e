import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createAuthService, toAuthSettings, type AuthModule } from '@realchat/auth';
import { createAuthentication } from '@realchat/auth-verify';
import { createInProcessBus, createInProcessLiveChannel, createJetStreamBus, createNatsLiveChannel, type EventBus, type LiveChannel } from '@realchat/bus';
import { ManualClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import { newId, type EventEnvelope } from '@realchat/contracts';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { buildGateway, gatewayConfig, type GatewayConfig } from '@realchat/gateway';
import type { App } from '@realchat/http';
import { silentLogger, type Logger } from '@realchat/logging';
import { createServiceHost, serviceEnvSchema, type AnyServiceDefinition, type RuntimeEnv, type ServiceHost } from '@realchat/runtime';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';

/** Embedded engines (PGlite, in-process bus, memory store) or the real ones (Postgres, NATS JetStream, Redis). */
export const variants = ['embedded', 'distributed'] as const;
export type Variant = (typeof variants)[number];

const NATS = '127.0.0.1:4222';
const REDIS = 'redis://127.0.0.1:6379';
const ISSUER = 'http://auth.test';

export interface TestSystemOptions {
  /** Names the run's stream, subjects and keys (`chat` → stream `T_CHAT_<id>`), so parallel runs never meet. */
  readonly name: string;
  /** The services under test; auth is always hosted first. */
  readonly services: readonly AnyServiceDefinition[];
  /** The services' variables, as strings, as the environment would give them. */
  readonly env?: Readonly<Record<string, string>>;
  readonly configure?: (config: GatewayConfig) => GatewayConfig;
  /** Events to record in `events`, in the order the bus delivers them. */
  readonly eventTypes?: readonly string[];
  /** The services' logger (default: silent); the gateway stays silent. */
  readonly logger?: Logger;
  /** JetStream redelivery delay after a handler fails (distributed). */
  readonly retryDelayMs?: number;
}

/** A system under test: auth and the services hosted in one gateway, as `npm start` runs them. */
export interface TestSystem {
  readonly gateway: App;
  readonly base: string;
  readonly port: number;
  readonly host: ServiceHost;
  readonly auth: AuthModule;
  readonly db: TestDatabase;
  readonly bus: EventBus;
  /** Live fan-out between instances (NATS core subjects when distributed). */
  readonly live: LiveChannel;
  /** The live channel's subject prefix when distributed (another connection joins it with this). */
  readonly liveSubjectPrefix: string;
  readonly store: KeyValueStore;
  /** The injected clock: starts at the real time; tests move it. */
  readonly clock: ManualClock;
  /** Every event of `eventTypes` seen on the bus since start, in order. */
  readonly events: EventEnvelope[];
  /** The instance of a hosted service by name. */
  module<T>(name: string): T;
  /** Publishes an event as its producer's relay would (the bus checks only what this process registered). */
  publish(type: string, data: unknown, producer?: string): Promise<EventEnvelope>;
  /**
   * Another instance of `definition` (alone, behind its own gateway) on the same database, bus and
   * store, verifying tokens with auth's published keys: a second process of distributed mode. It
   * joins the live channel over its own connection when distributed, unless given `live`.
   * Closed by `close()` at the latest.
   */
  addInstance(definition: AnyServiceDefinition, options?: { readonly live?: LiveChannel; readonly relayPollIntervalMs?: number }): Promise<TestInstance>;
  close(): Promise<void>;
}

export interface TestInstance {
  readonly base: string;
  readonly port: number;
  readonly host: ServiceHost;
  module<T>(name: string): T;
  close(): Promise<void>;
}

const moduleOf =
  (host: ServiceHost) =>
  <T>(name: string): T => {
    const hosted = host.services.find((s) => s.definition.name === name);
    if (hosted === undefined) throw new Error(`no service ${name} here`);
    return hosted.instance as T;
  };

export async function startTestSystem(variant: Variant, options: TestSystemOptions): Promise<TestSystem> {
  const id = randomBytes(4).toString('hex');
  const name = options.name.toLowerCase().replace(/[^a-z0-9]/g, '_');
  const clock = new ManualClock(Date.now());
  const logger = options.logger ?? silentLogger;
  const db = await createTestDatabase(variant === 'embedded' ? 'pglite' : 'postgres');
  const bus =
    variant === 'embedded'
      ? createInProcessBus({ clock })
      : await createJetStreamBus({ servers: NATS, stream: `T_${name.toUpperCase()}_${id}`, subjectPrefix: `t_${name}_${id}`, ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }) });
  const liveSubjectPrefix = `t_${name}_live_${id}`;
  const live = variant === 'embedded' ? createInProcessLiveChannel() : await createNatsLiveChannel({ servers: NATS, subjectPrefix: liveSubjectPrefix });
  const store = variant === 'embedded' ? createMemoryStore({ clock }) : createRedisStore({ url: REDIS, prefix: `t:${name}:${id}:` });
  const events: EventEnvelope[] = [];
  const types = options.eventTypes ?? [];
  const sub = types.length === 0 ? undefined : await bus.subscribe({ types: [...types], handler: async (e) => void events.push(e) });

  const authService = createAuthService({
    settings: (authEnv) => ({ ...toAuthSettings(authEnv), bcryptCost: 4, bcryptConcurrency: 1, loginIpLimitPerMinute: 100_000, registerIpLimitPerMinute: 100_000 }),
    keyEncryptionKey: randomBytes(32),
  });
  const definitions = [authService, ...options.services];
  // serviceEnvSchema holds RuntimeEnvSchema's members: what it loads is a RuntimeEnv and more.
  const env = loadConfig(serviceEnvSchema(definitions), { AUTH_ISSUER: ISSUER, ...options.env }) as RuntimeEnv & Readonly<Record<string, unknown>>;
  const host = await createServiceHost({ definitions, engines: { db, bus, live, store, clock, logger, embeddedDataDir: undefined }, env, relayPollIntervalMs: 20 });
  const config = (options.configure ?? ((c) => c))(gatewayConfig({ rateLimit: { ip: false, user: false } }));
  const gateway = await buildGateway({ config, logger: silentLogger, clock, verifier: host.authentication.verifier, store, host });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  await host.start();
  const { port } = gateway.server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const auth = moduleOf(host)<AuthModule>('auth');
  const instances: TestInstance[] = [];

  return {
    gateway,
    base,
    port,
    host,
    auth,
    db,
    bus,
    live,
    liveSubjectPrefix,
    store,
    clock,
    events,
    module: moduleOf(host),
    async publish(type, data, producer = type.split('.')[0] ?? type) {
      const event: EventEnvelope = { id: newId(), type, version: 1, occurredAt: clock.now().toISOString(), producer, data };
      await bus.publish(event);
      return event;
    },
    async addInstance(definition, extra = {}) {
      const own = extra.live === undefined && variant === 'distributed' ? await createNatsLiveChannel({ servers: NATS, subjectPrefix: liveSubjectPrefix }) : undefined;
      const authentication = createAuthentication({ issuer: ISSUER, audience: 'realchat', keys: { jwksUrl: `${base}/.well-known/jwks.json` }, bus, accessTokenTtlMs: 15 * 60_000, clock });
      const second = await createServiceHost({
        definitions: [definition],
        engines: { db, bus, live: extra.live ?? own ?? live, store, clock, logger, embeddedDataDir: undefined },
        env,
        authentication,
        identity: auth.identity,
        migrate: false,
        ...(extra.relayPollIntervalMs === undefined ? {} : { relayPollIntervalMs: extra.relayPollIntervalMs }),
      });
      const edge = await buildGateway({ config, logger: silentLogger, clock, verifier: authentication.verifier, store, host: second });
      await edge.listen({ port: 0, host: '127.0.0.1' });
      await second.start();
      const edgePort = (edge.server.address() as AddressInfo).port;
      let closing: Promise<void> | undefined;
      const instance: TestInstance = {
        base: `http://127.0.0.1:${edgePort}`,
        port: edgePort,
        host: second,
        module: moduleOf(second),
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
      await sub?.unsubscribe();
      await bus.close();
      await live.close();
      await store.close();
      await db.close();
    },
  };
}

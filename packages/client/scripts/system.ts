import { randomBytes } from 'node:crypto';
import { createAuthService, toAuthSettings } from '@realchat/auth';
import { createInProcessBus, createInProcessLiveChannel } from '@realchat/bus';
import { ManualClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import { createTestDatabase, type TestDatabase } from '@realchat/db/testing';
import { buildGateway, gatewayConfig } from '@realchat/gateway';
import type { App } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { createServiceHost, serviceEnvSchema, type AnyServiceDefinition, type RuntimeEnv, type ServiceHost } from '@realchat/runtime';
import { createMemoryStore } from '@realchat/store';
// The CLI is an app with no exports: its list is read from its source.
import { SERVICES } from '../../../apps/cli/src/services.js';

/**
 * Every service `npm start` runs (the CLI's one list: a service merged there is covered here
 * without an edit), auth with cheap hashing and no throttles since tests sign many users up.
 */
const definitions = (): readonly AnyServiceDefinition[] =>
  SERVICES.map((d) =>
    d.name !== 'auth'
      ? d
      : createAuthService({
          settings: (env) => ({ ...toAuthSettings(env), bcryptCost: 4, bcryptConcurrency: 1, loginIpLimitPerMinute: 100_000, registerIpLimitPerMinute: 100_000 }),
          keyEncryptionKey: randomBytes(32),
        }),
  );

/** The embedded system as `npm start` runs it (gateway hosting every service) on in-memory engines. */
export interface EmbeddedSystem {
  readonly gateway: App;
  readonly host: ServiceHost;
  /** Names and path prefixes of the hosted services, in declaration order. */
  readonly services: ReadonlyArray<{ readonly name: string; readonly prefixes: readonly string[] }>;
  /** The injected clock, starting at the real time. */
  readonly clock: ManualClock;
  close(): Promise<void>;
}

export interface EmbeddedSystemOptions {
  /** Service variables (CHAT_*, AUTH_*), as the environment would give them. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Builds (not starts, not listens) the embedded system on PGlite in memory, the in-process bus and a memory store. */
export async function buildEmbeddedSystem(options: EmbeddedSystemOptions = {}): Promise<EmbeddedSystem> {
  const clock = new ManualClock(Date.now());
  const db: TestDatabase = await createTestDatabase('pglite');
  const bus = createInProcessBus({ clock });
  const live = createInProcessLiveChannel();
  const store = createMemoryStore({ clock });
  const defs = definitions();
  // serviceEnvSchema holds RuntimeEnvSchema's members: what it loads is a RuntimeEnv and more.
  const env = loadConfig(serviceEnvSchema(defs), { AUTH_ISSUER: 'http://auth.test', ...options.env }) as RuntimeEnv & Readonly<Record<string, unknown>>;
  const host = await createServiceHost({ definitions: defs, engines: { db, bus, live, store, clock, logger: silentLogger, embeddedDataDir: undefined }, env, relayPollIntervalMs: 20 });
  const gateway = await buildGateway({ config: gatewayConfig({ rateLimit: { ip: false, user: false } }), logger: silentLogger, clock, verifier: host.authentication.verifier, store, host });
  return {
    gateway,
    host,
    services: defs.map((d) => ({ name: d.name, prefixes: d.prefixes })),
    clock,
    async close() {
      await host.stop();
      await gateway.close();
      await bus.close();
      await live.close();
      await store.close();
      await db.close();
    },
  };
}

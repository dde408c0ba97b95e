import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import {
  authGuard,
  createRevocationList,
  createVerifier,
  subscribeRevocations,
  type JSONWebKeySet,
  type RevocationList,
  type Verifier,
} from '@realchat/auth-verify';
import { busMigrations, createOutboxRelay, type EventBus, type OutboxRelay, type Subscription } from '@realchat/bus';
import type { Clock } from '@realchat/clock';
import { migrate, type Database } from '@realchat/db';
import { OutboxMetrics, registerOpenApi, type App, type ServiceModule } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import type { KeyValueStore } from '@realchat/store';
import type { AuthSettings } from './config.js';
import { KeyEncryption } from './crypto/key-encryption.js';
import { authRoutes } from './routes/auth.routes.js';
import { internalRoutes } from './routes/internal.routes.js';
import { oauthRoutes } from './routes/oauth.routes.js';
import { wellKnownRoutes } from './routes/well-known.routes.js';
import { ClientService } from './services/client.service.js';
import { KeyService } from './services/key.service.js';
import { LoginThrottle } from './services/login-throttle.js';
import { AUTH_SCHEMA, AuthEvents } from './services/outbox.js';
import { PasswordService } from './services/password.service.js';
import { RegisterThrottle } from './services/register-throttle.js';
import { SessionService } from './services/session.service.js';
import { TokenService } from './services/token.service.js';
import { UserService } from './services/user.service.js';

export const authMigrations = { name: 'auth', dir: fileURLToPath(new URL('../migrations', import.meta.url)) } as const;

const SESSION_PURGE_INTERVAL_MS = 3_600_000;

export interface AuthDeps {
  readonly db: Database;
  readonly bus: EventBus;
  readonly store: KeyValueStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: AuthSettings;
  /** The 32-byte key-encryption key (see loadKeyEncryptionKey). */
  readonly keyEncryptionKey: Buffer;
  /** Outbox relay poll interval; tests shorten it. */
  readonly relayPollIntervalMs?: number;
}

/** The auth service as a module: routes for a host, plus the handles the CLI and the embedded gateway use. */
export interface AuthModule extends ServiceModule {
  readonly keys: KeyService;
  readonly users: UserService;
  readonly sessions: SessionService;
  readonly clients: ClientService;
  readonly verifier: Verifier;
  readonly revocations: RevocationList;
  readonly relay: OutboxRelay;
  /** The public keys, for a verifier in the same process (no HTTP round trip). */
  jwks(): JSONWebKeySet;
}

/** Migrates the auth schema, loads or creates the signing keys and wires the services. */
export async function createAuthModule(deps: AuthDeps): Promise<AuthModule> {
  const { db, bus, store, clock, logger, settings } = deps;
  await migrate(db, { schema: AUTH_SCHEMA, sources: [busMigrations, authMigrations], logger });

  const encryption = new KeyEncryption(deps.keyEncryptionKey);
  const keys = new KeyService({ db, encryption, settings, clock, logger });
  await keys.init();

  // Filled from the start; exposed by whichever app hosts the module (its own, or the gateway's when embedded).
  const outboxMetrics = new OutboxMetrics(AUTH_SCHEMA, () => clock.now().getTime());
  const relay = createOutboxRelay({ db, schema: AUTH_SCHEMA, bus, logger, clock, metrics: outboxMetrics, ...(deps.relayPollIntervalMs === undefined ? {} : { pollIntervalMs: deps.relayPollIntervalMs }) });
  const events = new AuthEvents({ clock, wake: () => relay.notify() });
  const revocations = createRevocationList({ clock });
  const verifier = createVerifier({ issuer: settings.issuer, audience: settings.audience, keys: () => keys.jwks(), revocations, clock });
  const tokens = new TokenService({ keys, settings, clock });
  const passwords = new PasswordService({ cost: settings.bcryptCost, concurrency: settings.bcryptConcurrency });
  const sessions = new SessionService({
    db,
    tokens,
    events,
    settings,
    clock,
    derivationKey: encryption.deriveKey('refresh-token-successor'),
    onRevoked: (sessionId, until) => revocations.revoke(sessionId, until),
  });
  const users = new UserService({ db, passwords, sessions, throttle: new LoginThrottle(store, settings, clock), registerThrottle: new RegisterThrottle(store, settings, clock), events, clock, logger, deviceKey: encryption.deriveKey('device-cookie') });
  const clients = new ClientService({
    db,
    clock,
    events,
    accessTokenTtlMs: settings.accessTokenTtlMs,
    onRevoked: (clientId, until) => revocations.revokeClient(clientId, until),
    onTokenRevoked: (tokenId, until) => revocations.revokeToken(tokenId, until),
  });
  let revocationSubscription: Subscription | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;

  return {
    name: 'auth',
    prefixes: ['/auth', '/oauth', '/.well-known', '/internal'],
    keys,
    users,
    sessions,
    clients,
    verifier,
    revocations,
    relay,
    jwks: () => keys.jwks(),

    async register(app: App): Promise<void> {
      app.probes.add('auth.database', () => db.ping());
      app.probes.add('auth.keys', async () => ({ kid: keys.signingKey().kid }));
      outboxMetrics.register(app.metrics);
      await registerOpenApi(app, { title: 'RealChat auth', version: '0.1.0', documentPath: '/auth/openapi.json', prefixes: ['/auth', '/oauth', '/.well-known'] });
      await app.register(async (scope) => {
        const child = scope as unknown as App;
        await child.register(cookie);
        // Always, even behind the gateway: only this guard knows the routes' roles and scopes, and
        // a `principal` set by someone else must never stand in for it.
        await child.register(authGuard, { verifier });
        await authRoutes(child, { users, sessions, settings });
        await wellKnownRoutes(child, { keys, settings });
        await internalRoutes(child, { users });
        await child.register(async (oauthScope) => oauthRoutes(oauthScope as unknown as App, { users, sessions, clients, tokens, verifier, settings }));
      });
    },

    async start(): Promise<void> {
      // Revocations from other auth instances; since the longest-lived access token, so a restart misses none.
      revocationSubscription = await subscribeRevocations(bus, revocations, { since: new Date(clock.now().getTime() - settings.accessTokenTtlMs) });
      relay.start();
      keys.startSchedule();
      purgeTimer = setInterval(() => {
        sessions.purgeEnded().catch((err: unknown) => logger.warn({ err }, 'session purge failed'));
      }, SESSION_PURGE_INTERVAL_MS).unref();
      await passwords.warmUp();
      if (settings.bootstrapAdminEmail !== undefined) {
        const outcome = await users.bootstrapAdmin(settings.bootstrapAdminEmail);
        if (outcome === 'granted') logger.info({ outcome }, 'AUTH_BOOTSTRAP_ADMIN_EMAIL: administrator granted (once for this database)');
        else if (outcome === 'already_granted' || outcome === 'admin_exists') logger.info({ outcome }, 'AUTH_BOOTSTRAP_ADMIN_EMAIL: nothing to do');
        else logger.warn({ outcome }, 'AUTH_BOOTSTRAP_ADMIN_EMAIL not applied: it only promotes an account registered before its first start-up; use `realchat admin grant <email>`');
      }
    },

    async stop(): Promise<void> {
      keys.stopSchedule();
      clearInterval(purgeTimer);
      await revocationSubscription?.unsubscribe();
      await relay.stop();
      verifier.close();
    },
  };
}

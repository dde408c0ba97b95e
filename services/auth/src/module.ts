import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import { authGuard, createAuthentication, type Authentication, type JSONWebKeySet, type RevocationList, type Verifier } from '@realchat/auth-verify';
import type { EventBus } from '@realchat/bus';
import type { Clock, TimerHandle } from '@realchat/clock';
import { ClientRevoked, SessionRevoked, SessionStarted, UserCreated, UserRolesChanged, UserUpdated } from '@realchat/contracts';
import type { Database } from '@realchat/db';
import type { App } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import { CommandError, defineService, type ServiceCommand, type TokenIssuerInstance } from '@realchat/runtime';
import type { KeyValueStore } from '@realchat/store';
import { AuthEnvSchema, toAuthSettings, type AuthEnv, type AuthSettings } from './config.js';
import { loadKeyEncryptionKey } from './crypto/kek.js';
import { KeyEncryption } from './crypto/key-encryption.js';
import { AuthErrors } from './errors.js';
import { authRoutes } from './routes/auth.routes.js';
import { internalRoutes } from './routes/internal.routes.js';
import { oauthRoutes } from './routes/oauth.routes.js';
import { wellKnownRoutes } from './routes/well-known.routes.js';
import { ClientService } from './services/client.service.js';
import { KeyService } from './services/key.service.js';
import { LoginThrottle } from './services/login-throttle.js';
import { AUTH_SCHEMA, AuthEvents, type AuthOutbox } from './services/outbox.js';
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
  /** Where events are recorded (the host's outbox of the auth schema). */
  readonly outbox: AuthOutbox;
}

/** The auth service's running instance: what a host needs, plus the handles its commands and tests use. */
export interface AuthModule extends TokenIssuerInstance {
  readonly keys: KeyService;
  readonly users: UserService;
  readonly sessions: SessionService;
  readonly clients: ClientService;
  readonly verifier: Verifier;
  readonly revocations: RevocationList;
  /** The public keys, for a verifier in the same process (no HTTP round trip). */
  jwks(): JSONWebKeySet;
  /** AUTH_KEY_PUBLISH_LEAD as written in messages. */
  readonly publishLead: string;
}

/** `realchat keys ...`, `admin grant`, `clients ...`. */
const authCommands: readonly ServiceCommand<AuthModule>[] = [
  {
    name: 'keys rotate',
    summary: 'publish a new signing key (it signs after AUTH_KEY_PUBLISH_LEAD)',
    async run({ keys, publishLead }, _input, out) {
      const kid = await keys.rotate();
      out(`next signing key ${kid} is published now and signs after AUTH_KEY_PUBLISH_LEAD (${publishLead})`);
    },
  },
  {
    name: 'keys list',
    summary: 'show the published signing keys',
    async run({ keys }, _input, out) {
      for (const key of keys.jwks().keys) out(`${String(key.kid)}  ${String(key.alg)}`);
    },
  },
  {
    name: 'admin grant',
    args: '<email>',
    summary: 'make a registered account ADMIN',
    async run({ users }, { args }, out) {
      const email = args[0];
      if (email === undefined || args.length > 1) throw new CommandError('admin grant needs one email');
      if (!(await users.grantAdmin(email))) throw new CommandError(`no account with email ${email}: register it first`);
      out(`${email} is now ADMIN`);
    },
  },
  {
    name: 'clients create',
    args: '<name> --scope S',
    summary: 'create a service client (client-credentials grant); prints the secret once',
    async run({ clients }, { args, options }, out) {
      const name = args[0];
      if (name === undefined || args.length > 1) throw new CommandError('clients create needs one name');
      const scopes = options['scope'] ?? [];
      if (scopes.length === 0) throw new CommandError('clients create needs at least one --scope (e.g. --scope users:read)');
      const client = await clients.create(name, scopes);
      out(`client_id=${client.clientId}\nclient_secret=${client.clientSecret}\nscopes=${client.scopes.join(' ')}\n(the secret is shown once; only its hash is stored)`);
    },
  },
  {
    name: 'clients list',
    summary: 'list service clients',
    async run({ clients }, _input, out) {
      for (const c of await clients.list()) out(`${c.id}  ${c.name}  ${c.scopes.join(' ')}  ${c.createdAt.toISOString()}`);
    },
  },
  {
    name: 'clients revoke',
    args: '<client-id>',
    summary: 'revoke a service client',
    async run({ clients }, { args }, out) {
      const id = args[0];
      if (id === undefined || args.length > 1) throw new CommandError('clients revoke needs one client id');
      if (!(await clients.revoke(id))) throw new CommandError(`no live client ${id}`);
      out(`${id} revoked`);
    },
  },
];

/** Loads or creates the signing keys and wires the services (the schema must be migrated: the host does it). */
export async function createAuthModule(deps: AuthDeps): Promise<AuthModule> {
  const { db, bus, store, clock, logger, settings } = deps;

  const encryption = new KeyEncryption(deps.keyEncryptionKey);
  const keys = new KeyService({ db, encryption, settings, clock, logger });
  await keys.init();

  const events = new AuthEvents({ clock, outbox: deps.outbox });
  // Revocations from other auth instances arrive on the bus; this instance's own are added directly.
  const authentication: Authentication = createAuthentication({
    issuer: settings.issuer,
    audience: settings.audience,
    keys: { local: () => keys.jwks() },
    bus,
    accessTokenTtlMs: settings.accessTokenTtlMs,
    clock,
    logger,
  });
  const { verifier, revocations } = authentication;
  const tokens = new TokenService({ keys, settings, clock });
  const passwords = new PasswordService({ cost: settings.bcryptCost, concurrency: settings.bcryptConcurrency, nice: settings.bcryptNice });
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
    reloadIntervalMs: settings.clientReloadIntervalMs,
    onReloadError: (err) => logger.warn({ err }, 'reloading the service clients failed'),
    onRevoked: (clientId, until) => revocations.revokeClient(clientId, until),
    onTokenRevoked: (tokenId, until) => revocations.revokeToken(tokenId, until),
  });
  await clients.load();
  // Another instance revoked a client: refuse it here at once, not at the next reload.
  authentication.onRevoked((revoked) => {
    if (revoked.kind === 'client') clients.forget(revoked.clientId);
  });
  let purgeTimer: TimerHandle | undefined;

  return {
    keys,
    users,
    sessions,
    clients,
    verifier,
    revocations,
    authentication,
    identity: users,
    jwks: () => keys.jwks(),
    publishLead: `${settings.keyPublishLeadMs / 1000}s`,

    async register(app: App): Promise<void> {
      app.probes.add('auth.keys', async () => ({ kid: keys.signingKey().kid }));
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
      keys.startSchedule();
      clients.startReloading();
      purgeTimer = clock.setInterval(
        () => {
          sessions.purgeEnded().catch((err: unknown) => logger.warn({ err }, 'session purge failed'));
        },
        SESSION_PURGE_INTERVAL_MS,
        { unref: true },
      );
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
      clients.stopReloading();
      purgeTimer?.clear();
      await passwords.close();
    },
  };
}

export interface AuthServiceOptions {
  /** Settings instead of those read from the environment (tests). */
  readonly settings?: (env: AuthEnv) => AuthSettings;
  /** A key-encryption key instead of the configured one (tests). */
  readonly keyEncryptionKey?: Buffer;
}

/** The auth service's declaration, read by both hosts (embedded and `runService`) and the CLI. */
export function createAuthService(options: AuthServiceOptions = {}) {
  return defineService({
    name: 'auth',
    issuesTokens: true,
    prefixes: ['/auth', '/oauth', '/.well-known', '/internal'],
    env: AuthEnvSchema,
    database: { schema: AUTH_SCHEMA, migrations: [authMigrations] },
    errors: AuthErrors,
    publishes: [UserCreated, UserUpdated, UserRolesChanged, SessionStarted, SessionRevoked, ClientRevoked],
    commands: authCommands,
    async create(context) {
      const settings = options.settings?.(context.env) ?? toAuthSettings(context.env);
      const keyEncryptionKey =
        options.keyEncryptionKey ??
        (await loadKeyEncryptionKey({
          value: context.env.AUTH_KEY_ENCRYPTION_KEY,
          file: context.env.AUTH_KEY_ENCRYPTION_KEY_FILE,
          embeddedDataDir: context.embeddedDataDir,
          logger: context.logger,
        }));
      return createAuthModule({ ...context, settings, keyEncryptionKey });
    },
  });
}

export const authService = createAuthService();

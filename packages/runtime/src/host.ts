import type { Authentication } from '@realchat/auth-verify';
import { appendToOutbox, busMigrations, createInProcessLiveChannel, createOutboxRelay, handleAllOnce, handleOnce, type EventBus, type LiveChannel, type OutboxRelay, type Subscription } from '@realchat/bus';
import type { Clock } from '@realchat/clock';
import { registerEvents } from '@realchat/contracts';
import { migrate, type Database } from '@realchat/db';
import { AppError } from '@realchat/errors';
import { collectAccessRules, OutboxMetrics, registerOpenApi, SERVICE_MANIFEST_MEMBER, type AccessRule, type App, type ServiceManifest } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import type { KeyValueStore } from '@realchat/store';
import type { RuntimeEnv } from './env.js';
import type { AnyServiceDefinition, Identity, Outbox, ServiceInstance, WebSocketEndpoint } from './service.js';

const API_VERSION = '0.1.0';

/** The side effects a host passes to every service it runs. */
export interface HostEngines {
  /** Needed when a service declares a database. */
  readonly db?: Database;
  readonly bus: EventBus;
  /** Live fan-out between instances; without it, one in process (closed by the host's stop). */
  readonly live?: LiveChannel;
  readonly store: KeyValueStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly embeddedDataDir: string | undefined;
}

/** One service as the host runs it. */
export interface HostedService {
  readonly definition: AnyServiceDefinition;
  readonly instance: ServiceInstance;
  /** Its outbox relay, when it publishes events. */
  readonly relay: OutboxRelay | undefined;
}

/** Services created on one set of engines, started and stopped in one order, whoever hosts them. */
export interface ServiceHost {
  readonly services: readonly HostedService[];
  /** The issuer's own authentication when it is hosted here, else the remote one given. */
  readonly authentication: Authentication;
  readonly prefixes: readonly string[];
  readonly websockets: readonly WebSocketEndpoint[];
  /** Filled as `register` adds the services' routes: the rules the routes declare. */
  readonly accessRules: readonly AccessRule[];
  /**
   * Adds every service's routes, probes, outbox metrics and OpenAPI document (`/<name>/openapi.json`,
   * carrying the service's manifest) to `app`.
   */
  register(app: App): Promise<void>;
  /** What a service publishes about itself (complete once `register` ran). */
  manifest(name: string): ServiceManifest;
  /** Authentication, then each service's relay, consumers and background work, in declaration order. */
  start(): Promise<void>;
  /** The reverse of start; safe to call twice, and after a failed start. */
  stop(): Promise<void>;
}

/** Applies every service's migrations to its own schema (the bus tables included). Returns the ids applied. */
export async function migrateServices(definitions: readonly AnyServiceDefinition[], db: Database, logger?: Logger): Promise<string[]> {
  const applied: string[] = [];
  for (const d of definitions) {
    if (d.database === undefined) continue;
    applied.push(...(await migrate(db, { schema: d.database.schema, sources: [busMigrations, ...d.database.migrations], ...(logger === undefined ? {} : { logger }) })));
  }
  return applied;
}

export interface ServiceHostOptions {
  readonly definitions: readonly AnyServiceDefinition[];
  readonly engines: HostEngines;
  /** Validated variables of the runtime and of every service. */
  readonly env: RuntimeEnv & Readonly<Record<string, unknown>>;
  /** How callers are authenticated when no token issuer is among `definitions` (distributed mode); the host starts and closes it. */
  readonly authentication?: Authentication;
  /** How users are looked up when no token issuer is among `definitions`; without it every lookup is SERVICE_UNAVAILABLE. */
  readonly identity?: Identity;
  /** Migrate before creating (default true; the CLI's one-shot commands migrate too). */
  readonly migrate?: boolean;
  /** Relay poll interval (tests shorten it). */
  readonly relayPollIntervalMs?: number;
}

/** The database of services that declared none: any use is a programming error, said at once. */
function noDatabase(services: string): Database {
  const refuse = (): never => {
    throw new TypeError(`${services}: no database was declared`);
  };
  return { kind: 'pglite', query: async () => refuse(), transaction: async () => refuse(), ping: async () => refuse(), close: async () => undefined };
}

function checkDefinitions(definitions: readonly AnyServiceDefinition[]): void {
  const owners = new Map<string, string>();
  const names = new Set<string>();
  for (const d of definitions) {
    if (names.has(d.name)) throw new TypeError(`service ${d.name} is listed twice`);
    names.add(d.name);
    for (const prefix of d.prefixes) {
      const owner = owners.get(prefix);
      if (owner !== undefined) throw new TypeError(`prefix ${prefix} is claimed by ${owner} and ${d.name}`);
      owners.set(prefix, d.name);
    }
  }
  if (definitions.filter((d) => d.issuesTokens === true).length > 1) throw new TypeError('only one service may issue tokens');
}

/**
 * Migrates and creates the services: the token issuer first (its authentication serves the
 * others), then the rest in the order given. Nothing starts before `start()`.
 */
export async function createServiceHost(options: ServiceHostOptions): Promise<ServiceHost> {
  const { engines, env } = options;
  const { bus, clock, logger } = engines;
  const definitions = options.definitions;
  checkDefinitions(definitions);
  const needsDb = definitions.filter((d) => d.database !== undefined).map((d) => d.name);
  if (engines.db === undefined && needsDb.length > 0) throw new TypeError(`no database given for ${needsDb.join(', ')}`);
  const db = engines.db ?? noDatabase(definitions.map((d) => d.name).join(', '));
  const live = engines.live ?? createInProcessLiveChannel({ logger });
  const ownLive = live === engines.live ? undefined : live;
  for (const d of definitions) if (d.publishes !== undefined) registerEvents(d.publishes);
  if (options.migrate !== false && engines.db !== undefined) await migrateServices(definitions, engines.db, logger);

  const issuer = definitions.find((d) => d.issuesTokens === true);
  let identity = options.identity;
  // Handed out before the issuer's instance exists: resolved at each call.
  const current = (): Identity => {
    if (identity === undefined) throw new AppError('SERVICE_UNAVAILABLE', 'user lookups are not configured in this process');
    return identity;
  };
  const hostIdentity: Identity = { findUser: async (id) => current().findUser(id), findUserByEmail: async (email) => current().findUserByEmail(email) };
  const services: HostedService[] = [];
  const metrics: OutboxMetrics[] = [];
  const contextOf = (d: AnyServiceDefinition) => {
    const schema = d.database?.schema;
    let relay: OutboxRelay | undefined;
    if (schema !== undefined && (d.publishes?.length ?? 0) > 0) {
      const sink = new OutboxMetrics(schema, () => clock.now().getTime());
      metrics.push(sink);
      relay = createOutboxRelay({ db, schema, bus, logger, clock, metrics: sink, ...(options.relayPollIntervalMs === undefined ? {} : { pollIntervalMs: options.relayPollIntervalMs }) });
    }
    const outbox: Outbox = {
      schema: schema ?? '',
      append: async (tx, event) => {
        if (schema === undefined || relay === undefined) throw new TypeError(`service ${d.name} declares no database schema or published events, so it has no outbox`);
        await appendToOutbox(tx, schema, event);
      },
      committed: () => relay?.notify(),
    };
    return { relay, context: { ...engines, db, live, env: env as never, outbox, identity: hostIdentity } };
  };

  let authentication = options.authentication;
  const byName = new Map<string, HostedService>();
  try {
    if (issuer !== undefined) {
      const { relay, context } = contextOf(issuer);
      const instance = await issuer.create(context);
      authentication = instance.authentication;
      identity = instance.identity;
      byName.set(issuer.name, { definition: issuer, instance, relay });
    }
    if (authentication === undefined) throw new TypeError('no service issues tokens here and no authentication was given');
    for (const d of definitions) {
      if (d.issuesTokens === true) continue;
      const { relay, context } = contextOf(d);
      const instance = await d.create({ ...context, authentication });
      byName.set(d.name, { definition: d, instance, relay });
    }
  } catch (err) {
    for (const hosted of [...byName.values()].reverse()) await hosted.instance.stop?.().catch(() => undefined);
    throw err;
  }
  for (const d of definitions) services.push(byName.get(d.name)!);
  const auth = authentication;

  const under = (path: string, prefixes: readonly string[]): boolean => prefixes.some((p) => path === p || path.startsWith(`${p}/`));
  for (const s of services) {
    for (const ws of s.instance.websockets ?? []) {
      if (!under(ws.path, s.definition.prefixes)) throw new TypeError(`WebSocket endpoint ${ws.path} is under no prefix of ${s.definition.name}`);
    }
  }
  const websockets = services.flatMap((s) => s.instance.websockets ?? []);
  const manifest = (name: string): ServiceManifest => {
    const s = services.find((x) => x.definition.name === name);
    if (s === undefined) throw new TypeError(`no service ${name} here`);
    const { prefixes } = s.definition;
    return {
      name,
      prefixes: [...prefixes],
      access: accessRules
        .filter((r) => under(r.path, prefixes))
        .map((r) => ({
          path: r.path,
          auth: r.auth,
          ...(r.methods === undefined ? {} : { methods: [...r.methods] }),
          ...(r.roles === undefined ? {} : { roles: [...r.roles] }),
          ...(r.scopes === undefined ? {} : { scopes: [...r.scopes] }),
        })),
      websockets: (s.instance.websockets ?? []).map((w) => w.path),
    };
  };
  const accessRules: AccessRule[] = [];
  const subscriptions: Subscription[] = [];
  let started: HostedService[] = [];
  let stopping: Promise<void> | undefined;

  return {
    services,
    authentication: auth,
    prefixes: services.flatMap((s) => s.definition.prefixes),
    websockets,
    accessRules,
    manifest,

    async register(app) {
      const live = collectAccessRules(app, services.flatMap((s) => s.definition.prefixes));
      for (const sink of metrics) sink.register(app.metrics);
      for (const s of services) {
        const { name, prefixes } = s.definition;
        if (s.definition.database !== undefined) app.probes.add(`${name}.database`, () => db.ping());
        await registerOpenApi(app, { title: `RealChat ${name}`, version: API_VERSION, documentPath: `/${name}/openapi.json`, prefixes, extensions: () => ({ [SERVICE_MANIFEST_MEMBER]: manifest(name) }) });
        await s.instance.register(app);
      }
      // Sockets authenticate with their first frame: public at the edge.
      accessRules.push(...live, ...websockets.map((ws) => ({ path: ws.path, methods: ['GET'], auth: 'none' as const })));
    },

    async start() {
      await auth.start();
      for (const s of services) {
        started.push(s);
        s.relay?.start();
        const schema = s.definition.database?.schema;
        for (const consumer of s.instance.consumers ?? []) {
          if (schema === undefined) throw new TypeError(`service ${s.definition.name} consumes events but has no database schema to record them in`);
          const durable = `${s.definition.name}-${consumer.name}`;
          subscriptions.push(
            await bus.subscribe({
              types: consumer.types,
              durable,
              handler: async (event) => {
                let committed: (() => void) | undefined;
                await handleOnce(db, schema, durable, event, async (tx) => void (committed = (await consumer.handle(event, tx)) ?? undefined), { clock });
                committed?.();
              },
              // The events waiting at once share a transaction (and a commit): a consumer keeps up with a busy producer.
              batchHandler: async (events) => {
                const committed = await handleAllOnce(db, schema, durable, events, (event, tx) => consumer.handle(event, tx), { clock });
                for (const after of committed) after?.();
              },
            }),
          );
        }
        await s.instance.start?.();
      }
    },

    stop() {
      return (stopping ??= (async () => {
        for (const sub of subscriptions.splice(0).reverse()) await sub.unsubscribe().catch((err: unknown) => logger.warn({ err }, 'unsubscribe failed'));
        for (const s of started.reverse()) {
          await s.instance.stop?.().catch((err: unknown) => logger.warn({ err, service: s.definition.name }, 'stop failed'));
          await s.relay?.stop().catch((err: unknown) => logger.warn({ err, service: s.definition.name }, 'relay stop failed'));
        }
        // Created but never started: their stop still closes what create opened.
        for (const s of services) if (!started.includes(s)) await s.instance.stop?.().catch(() => undefined);
        started = [];
        await auth.close();
        await ownLive?.close();
      })());
    },
  };
}

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Type } from 'typebox';
import { createAuthentication } from '@realchat/auth-verify';
import { createInProcessBus, type EventBus, type SubscribeOptions } from '@realchat/bus';
import { ManualClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import { createEvent, type EventEnvelope } from '@realchat/contracts';
import { createPGliteDatabase, type Database } from '@realchat/db';
import { createHttpApp } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { createMemoryStore } from '@realchat/store';
import { createServiceHost, defineService, RuntimeEnvSchema, type AnyServiceDefinition, type EventConsumer, type Identity, type IdentityUser, type ServiceInstance } from '@realchat/runtime';

const env = loadConfig(RuntimeEnvSchema, {});
const keys = { keys: [] };
const ada: IdentityUser = { id: '01a237de-2d1a-7479-ab1b-b0b2c27125b9', displayName: 'Ada', roles: ['STUDENT'] };
/** The issuer's accounts: one, Ada. */
const issuerIdentity: Identity = {
  findUser: async (id) => (id === ada.id ? ada : null),
  findUserByEmail: async (email) => (email.trim().toLowerCase() === 'ada@example.com' ? ada : null),
};

/** A service that records what the host does to it, in order. */
function recorder(name: string, log: string[], extra: Partial<ServiceInstance> = {}, issuesTokens = false): AnyServiceDefinition {
  const instance = (): ServiceInstance => ({
    async register() {
      log.push(`${name}.register`);
    },
    async start() {
      log.push(`${name}.start`);
    },
    async stop() {
      log.push(`${name}.stop`);
    },
    ...extra,
  });
  if (issuesTokens) {
    return defineService({
      name,
      prefixes: [`/${name}`],
      env: Type.Object({}),
      issuesTokens: true,
      async create({ bus, clock }) {
        log.push(`${name}.create`);
        return { ...instance(), authentication: createAuthentication({ issuer: 'http://t', audience: 'realchat', keys: { local: () => keys }, bus, accessTokenTtlMs: 60_000, clock }), identity: issuerIdentity };
      },
    });
  }
  return defineService({
    name,
    prefixes: [`/${name}`],
    env: Type.Object({}),
    async create() {
      log.push(`${name}.create`);
      return instance();
    },
  });
}


/** A service with a database schema of its own and one consumer, `users`, of `user.created`. */
function usersConsumer(name: string, handle: EventConsumer['handle']): AnyServiceDefinition {
  return defineService({
    name,
    prefixes: [`/${name}`],
    env: Type.Object({}),
    database: { schema: name, migrations: [] },
    async create() {
      return { register: async () => undefined, consumers: [{ name: 'users', types: ['user.created'], handle }] };
    },
  });
}

/** A `user.created` event for the user whose id ends in `suffix`. */
const userCreated = (suffix: string, displayName: string): EventEnvelope =>
  createEvent('user.created', { userId: `01a237de-2d1a-7479-ab1b-b0b2c2712${suffix}`, displayName, roles: ['STUDENT'], createdAt: new Date().toISOString() }, { producer: 'auth', occurredAt: new Date() });
describe('service host', () => {
  let db: Database;
  let bus: EventBus;
  const clock = new ManualClock();
  const engines = () => ({ db, bus, store: createMemoryStore({ clock }), clock, logger: silentLogger, embeddedDataDir: undefined });

  beforeAll(async () => {
    db = await createPGliteDatabase({});
    bus = createInProcessBus({ clock });
  });
  afterAll(async () => {
    await bus.close();
    await db.close();
  });

  it('creates the token issuer first, starts in the order listed and stops in reverse, once', async () => {
    const log: string[] = [];
    const host = await createServiceHost({ definitions: [recorder('chat', log), recorder('auth', log, {}, true), recorder('forum', log)], engines: engines(), env });
    const app = createHttpApp({ logger: silentLogger });
    await host.register(app);
    await host.start();
    await Promise.all([host.stop(), host.stop()]);
    expect(log).toEqual(['auth.create', 'chat.create', 'forum.create', 'chat.register', 'auth.register', 'forum.register', 'chat.start', 'auth.start', 'forum.start', 'forum.stop', 'auth.stop', 'chat.stop']);
    await app.close();
  });

  it('stops what a failed start had started, and what it never reached', async () => {
    const log: string[] = [];
    const failing = recorder('forum', log, {
      async start() {
        throw new Error('forum cannot start');
      },
    });
    const host = await createServiceHost({ definitions: [recorder('auth', log, {}, true), failing, recorder('notes', log)], engines: engines(), env });
    await expect(host.start()).rejects.toThrow('forum cannot start');
    await host.stop();
    expect(log.filter((l) => l.endsWith('.stop'))).toEqual(['forum.stop', 'auth.stop', 'notes.stop']);
  });

  it('refuses two services on one prefix, two token issuers, or none without an authentication', async () => {
    const log: string[] = [];
    const twin = defineService({ name: 'other', prefixes: ['/other', '/chat'], env: Type.Object({}), create: async () => ({ register: async () => undefined }) });
    await expect(createServiceHost({ definitions: [recorder('auth', log, {}, true), recorder('chat', log), twin], engines: engines(), env })).rejects.toThrow('prefix /chat is claimed by chat and other');
    await expect(createServiceHost({ definitions: [recorder('auth', log, {}, true), recorder('auth2', log, {}, true)], engines: engines(), env })).rejects.toThrow('only one service may issue tokens');
    await expect(createServiceHost({ definitions: [recorder('chat', log)], engines: engines(), env })).rejects.toThrow('no service issues tokens here');
    expect(() => defineService({ name: 'x', prefixes: ['/y'], env: Type.Object({}), create: async () => ({ register: async () => undefined }) })).toThrow('must include /x');
  });

  it('refuses a WebSocket endpoint outside its service, and a database a service never declared', async () => {
    const log: string[] = [];
    const stray = recorder('chat', log, { websockets: [{ path: '/forum/ws', onConnection: () => undefined }] });
    await expect(createServiceHost({ definitions: [recorder('auth', log, {}, true), stray], engines: engines(), env })).rejects.toThrow('/forum/ws is under no prefix of chat');
    let seen: Database | undefined;
    const noDb = defineService({
      name: 'plain',
      prefixes: ['/plain'],
      env: Type.Object({}),
      async create({ db: given }) {
        seen = given;
        return { register: async () => undefined };
      },
    });
    const { db: _db, ...withoutDb } = engines();
    const host = await createServiceHost({ definitions: [recorder('auth', log, {}, true), noDb], engines: withoutDb, env });
    await expect(seen!.query('select 1')).rejects.toThrow('no database was declared');
    await host.stop();
  });

  it('serves the issuer\'s user lookups to the other services in process, and refuses them when nobody answers', async () => {
    const log: string[] = [];
    let identity: Identity | undefined;
    const looker = defineService({
      name: 'chat',
      prefixes: ['/chat'],
      env: Type.Object({}),
      async create(context) {
        identity = context.identity;
        return { register: async () => undefined };
      },
    });
    const host = await createServiceHost({ definitions: [looker, recorder('auth', log, {}, true)], engines: engines(), env });
    expect(await identity!.findUser(ada.id)).toEqual(ada);
    expect(await identity!.findUser('01a237de-2d1a-7479-ab1b-b0b2c27125ba')).toBeNull();
    expect(await identity!.findUserByEmail(' ADA@example.com')).toEqual(ada);
    expect(await identity!.findUserByEmail('bob@example.com')).toBeNull();
    await host.stop();

    // No issuer here and no remote lookups given: a lookup fails (503), the host still runs.
    const authentication = createAuthentication({ issuer: 'http://t', audience: 'realchat', keys: { local: () => keys }, accessTokenTtlMs: 60_000, clock });
    const alone = await createServiceHost({ definitions: [looker], engines: engines(), env, authentication });
    await expect(identity!.findUser(ada.id)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    await alone.stop();
    const remote = await createServiceHost({ definitions: [looker], engines: engines(), env, authentication, identity: issuerIdentity });
    expect(await identity!.findUserByEmail('ada@example.com')).toEqual(ada);
    await remote.stop();
  });

  it('runs a consumer once per event, in the transaction that records it, and retries a failure', async () => {
    const log: string[] = [];
    const handled: string[] = [];
    let failNext = true;
    const consumer = usersConsumer('feed', async (event) => {
      if (failNext) {
        failNext = false;
        throw new Error('first delivery fails');
      }
      handled.push(event.id);
    });
    const host = await createServiceHost({ definitions: [recorder('auth', log, {}, true), consumer], engines: engines(), env });
    await host.start();
    const event = userCreated('5b9', 'Ada');
    await bus.publish(event);
    // The failed delivery comes back after the in-process bus's backoff, and its transaction runs on
    // PGlite's thread: move time until the handler has run, failing after a bound.
    await vi.waitFor(
      async () => {
        await clock.advanceAsync(1_000);
        expect(handled).toEqual([event.id]);
      },
      { timeout: 10_000, interval: 10 },
    );
    await bus.publish(event);
    // Deliveries to a consumer keep publish order: once a later event is handled, the copy had its turn.
    const later = userCreated('5ba', 'Bob');
    await bus.publish(later);
    await vi.waitFor(() => expect(handled).toContain(later.id), { timeout: 10_000, interval: 10 });
    expect(handled).toEqual([event.id, later.id]);
    const { rows } = await db.query<{ consumer: string }>('select consumer from feed.processed_events where event_id = $1', [event.id]);
    expect(rows).toEqual([{ consumer: 'feed-users' }]);
    await host.stop();
  });

  it('hands a batch of waiting events to a consumer in one transaction, each once, and calls their after-commit functions after it', async () => {
    const log: string[] = [];
    let subscribed: SubscribeOptions | undefined;
    // A bus that batches: it keeps the subscription so the test delivers a batch itself.
    const batching: EventBus = { ...bus, subscribe: async (options) => ((subscribed = options), { unsubscribe: async () => undefined }) };
    const consumer = usersConsumer('batched', async (event, tx) => {
      const { rows } = await tx.query<{ n: number }>("select count(*)::int as n from batched.processed_events where consumer = 'batched-users'");
      log.push(`handle ${event.id} (${rows[0]!.n} recorded)`);
      return () => void log.push(`after ${event.id}`);
    });
    const host = await createServiceHost({ definitions: [recorder('auth', log, {}, true), consumer], engines: { ...engines(), bus: batching }, env });
    await host.start();
    log.length = 0;
    const [a, b] = [userCreated('5c1', 'U1'), userCreated('5c2', 'U2')];
    await subscribed!.batchHandler!([a, b, a]);
    // Both ids are recorded before the first handler runs: one statement, one transaction; the after-commit functions run once it committed.
    expect(log).toEqual([`handle ${a.id} (2 recorded)`, `handle ${b.id} (2 recorded)`, `after ${a.id}`, `after ${b.id}`]);
    await subscribed!.batchHandler!([b]);
    expect(log).toHaveLength(4);
    await host.stop();
  });
});

import { join, resolve } from 'node:path';
import { createInProcessBus, createInProcessLiveChannel, createJetStreamBus, createNatsLiveChannel, type EventBus, type LiveChannel } from '@realchat/bus';
import { systemClock, type Clock } from '@realchat/clock';
import { createPGliteDatabase, createPostgresDatabase, type Database } from '@realchat/db';
import { createLogger, type Logger } from '@realchat/logging';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';
import { lockDataDir } from './data-dir-lock.js';
import type { RuntimeEnv } from './env.js';

/** The side effects a service receives: it cannot tell embedded engines from the real ones. */
export interface Runtime {
  readonly db: Database;
  readonly bus: EventBus;
  /** Live fan-out between instances (NATS core subjects beside the bus, in process when embedded). */
  readonly live: LiveChannel;
  readonly store: KeyValueStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Absolute data folder when the database is embedded (PGlite), else undefined. */
  readonly embeddedDataDir: string | undefined;
  /** Closes what this runtime opened, in reverse order; later calls wait for the first. */
  close(): Promise<void>;
}

/** Opens the database, bus and store named by the environment (embedded engines where unset). */
export async function createRuntime(env: RuntimeEnv, options: { name: string; logger?: Logger }): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: env.LOG_LEVEL, name: options.name });
  const closers: Array<() => Promise<void>> = [];
  try {
    let db: Database;
    let embeddedDataDir: string | undefined;
    if (env.DATABASE_URL === undefined) {
      embeddedDataDir = resolve(env.DATA_DIR);
      closers.push(await lockDataDir(embeddedDataDir));
      db = await createPGliteDatabase({ dataDir: join(embeddedDataDir, 'pglite') });
      logger.info({ dataDir: embeddedDataDir }, 'database: embedded PGlite');
    } else {
      db = createPostgresDatabase({ url: env.DATABASE_URL, max: env.DATABASE_POOL_SIZE, applicationName: `realchat-${options.name}` });
      logger.info('database: PostgreSQL');
    }
    closers.push(() => db.close());

    const bus =
      env.NATS_URL === undefined
        ? createInProcessBus({ logger })
        : await createJetStreamBus({ servers: env.NATS_URL.split(','), stream: env.NATS_STREAM, subjectPrefix: env.NATS_SUBJECT_PREFIX, logger, name: `realchat-${options.name}` });
    logger.info(env.NATS_URL === undefined ? 'bus: in-process' : 'bus: NATS JetStream');
    closers.push(() => bus.close());

    // Subjects outside the stream's `${NATS_SUBJECT_PREFIX}.>`: live traffic is never stored.
    const live =
      env.NATS_URL === undefined
        ? createInProcessLiveChannel({ logger })
        : await createNatsLiveChannel({ servers: env.NATS_URL.split(','), subjectPrefix: `${env.NATS_SUBJECT_PREFIX}_live`, logger, name: `realchat-${options.name}-live` });
    closers.push(() => live.close());

    const store =
      env.REDIS_URL === undefined
        ? createMemoryStore({ prefix: env.REDIS_PREFIX })
        : createRedisStore({ url: env.REDIS_URL, prefix: env.REDIS_PREFIX, onError: (err) => logger.warn({ err }, 'redis connection error') });
    logger.info(env.REDIS_URL === undefined ? 'store: in-memory' : 'store: Redis');
    closers.push(() => store.close());

    let closing: Promise<void> | undefined;
    return {
      db,
      bus,
      live,
      store,
      clock: systemClock,
      logger,
      embeddedDataDir,
      close() {
        return (closing ??= (async () => {
          for (const close of closers.reverse()) await close().catch((err: unknown) => logger.warn({ err }, 'error while closing'));
        })());
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw err;
  }
}

import pg from 'pg';
import type { Logger } from 'pino';
import { toDatabaseError } from './errors.js';
import { silentLogger } from './internal/logger.js';
import { OID, parseDateAsUtc, parseInt8, parseTimestampAsUtc } from './internal/parsers.js';
import type { Database, QueryOptions, QueryResult, Transaction } from './types.js';

export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/database` */
  readonly url: string;
  /** Most connections the pool opens (default 10). */
  readonly max?: number;
  /** How long to wait for a connection before failing with DATABASE_UNAVAILABLE (default 3000 ms): fail fast, never hang. */
  readonly connectionTimeoutMs?: number;
  /** Server-side limit of one statement (default: none). */
  readonly statementTimeoutMs?: number;
  /** How long an idle connection stays open (default 30 s). */
  readonly idleTimeoutMs?: number;
  /** Shown in `pg_stat_activity`. */
  readonly applicationName?: string;
  readonly logger?: Logger;
}

const overrides = new Map<number, (text: string) => unknown>([
  [OID.INT8, parseInt8],
  [OID.TIMESTAMP, parseTimestampAsUtc],
  [OID.DATE, parseDateAsUtc],
]);

// Per-pool parsers, so other users of `pg` in the process keep the library defaults.
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' ? (overrides.get(oid) ?? pg.types.getTypeParser(oid, 'text')) : pg.types.getTypeParser(oid, 'binary')) as pg.CustomTypesConfig['getTypeParser'],
};

/** pg's form of a statement: named when asked, so that each connection prepares it once. */
function statement(sql: string, params: readonly unknown[] | undefined, options: QueryOptions | undefined): pg.QueryConfig {
  const values = params === undefined ? undefined : [...params];
  return options?.name === undefined ? { text: sql, values } : { name: options.name, text: sql, values };
}

function toResult<R>(result: pg.QueryResult): QueryResult<R> {
  return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
}

/**
 * A Database on a `pg` Pool. Connection failures become AppError('DATABASE_UNAVAILABLE');
 * broken connections are dropped and new ones opened on demand, so it recovers by itself
 * when PostgreSQL comes back.
 */
export function createPostgresDatabase(options: PostgresDatabaseOptions): Database {
  const logger = options.logger ?? silentLogger;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 3000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    keepAlive: true,
    types: typeParsers,
    ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
    ...(options.applicationName === undefined ? {} : { application_name: options.applicationName }),
  });
  // An idle connection dropped by the server must not crash the process; the pool discards it.
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection failed'));
  let closed: Promise<void> | undefined;

  async function query<R>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<R>> {
    try {
      return toResult<R>(await pool.query(statement(sql, params, options)));
    } catch (err) {
      throw toDatabaseError(err);
    }
  }

  return {
    kind: 'postgres',
    query,

    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw toDatabaseError(err);
      }
      // A checked-out client has no pool listener: without ours, a dropped connection would crash the process.
      const onClientError = (err: Error): void => logger.warn({ err }, 'PostgreSQL connection failed during a transaction');
      client.on('error', onClientError);
      let finished = false;
      const run = async (sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<pg.QueryResult> => {
        if (finished) throw new Error('transaction already finished: use the database, not a stale transaction');
        try {
          return await client.query(statement(sql, params, options));
        } catch (err) {
          throw toDatabaseError(err);
        }
      };
      const tx: Transaction = {
        query: async <R>(sql: string, params?: readonly unknown[], options?: QueryOptions) => toResult<R>(await run(sql, params, options)),
        exec: async (sql: string) => {
          await run(sql);
        },
      };
      let broken: Error | undefined;
      try {
        await run('BEGIN ISOLATION LEVEL READ COMMITTED');
        const result = await fn(tx);
        await run('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is unusable: destroy it rather than return it to the pool.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw toDatabaseError(err);
      } finally {
        finished = true;
        client.release(broken);
        // Keep swallowing late errors of a destroyed client; a healthy one gets the pool's listener back.
        if (broken === undefined) client.off('error', onClientError);
      }
    },

    async ping(): Promise<void> {
      await query('select 1');
    },

    close(): Promise<void> {
      closed ??= pool.end();
      return closed;
    },
  };
}

import { PGlite, type Results, type Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { toDatabaseError } from './errors.js';
import { OID, parseDateAsUtc, parseInt8, parseTimestampAsUtc } from './internal/parsers.js';
import type { Database, QueryResult, Transaction } from './types.js';

export interface PGliteDatabaseOptions {
  /** Folder of the data files; in memory when omitted. Open one folder once per process. */
  readonly dataDir?: string;
}

function toResult<R>(result: Results<R>): QueryResult<R> {
  // PGlite counts only modified rows in affectedRows; `pg` reports the rows a SELECT returned.
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}

// PGlite attaches the statement's parameters to its errors: toDatabaseError drops them.
function wrap(target: PGlite | PGliteTransaction): Transaction {
  return {
    query: async <R>(sql: string, params?: readonly unknown[]) => {
      try {
        return toResult(await target.query<R>(sql, params === undefined ? undefined : [...params]));
      } catch (err) {
        throw toDatabaseError(err);
      }
    },
    exec: async (sql: string) => {
      try {
        await target.exec(sql);
      } catch (err) {
        throw toDatabaseError(err);
      }
    },
  };
}

/**
 * A Database on PGlite (PostgreSQL in WebAssembly), for the embedded mode. One instance is shared
 * by every service of the process: PGlite runs one statement at a time and holds other callers
 * back while a transaction is open, so transactions never interleave.
 */
export async function createPGliteDatabase(options: PGliteDatabaseOptions = {}): Promise<Database> {
  const pglite = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    parsers: { [OID.INT8]: parseInt8, [OID.TIMESTAMP]: parseTimestampAsUtc, [OID.DATE]: parseDateAsUtc },
  });
  const root = wrap(pglite);
  let closed: Promise<void> | undefined;
  return {
    kind: 'pglite',
    query: root.query,
    // PGlite begins with the default isolation, READ COMMITTED.
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) => pglite.transaction((tx) => fn(wrap(tx))),
    async ping(): Promise<void> {
      await pglite.query('select 1');
    },
    close(): Promise<void> {
      closed ??= pglite.close();
      return closed;
    },
  };
}

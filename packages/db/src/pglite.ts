import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { AppError } from '@realchat/errors';
import { toDatabaseError } from './errors.js';
import { PGLITE_WORKER_SOURCE, type SerialisedError, type WorkerData, type WorkerReply, type WorkerRequest } from './internal/pglite-worker.js';
import type { Database, QueryResult, Transaction } from './types.js';

export interface PGliteDatabaseOptions {
  /** Folder of the data files; in memory when omitted. Open one folder once per process. */
  readonly dataDir?: string;
}

/** Distributes `Omit` over the request union: a request before its id is given. */
type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

const ERROR_TYPES: Readonly<Record<string, new (message: string) => Error>> = { RangeError, TypeError, SyntaxError };

/** The worker's error, rebuilt on this side with its fields (`code`, `constraint`, ...): isUniqueViolation etc. read them. */
function revive(serialised: SerialisedError): unknown {
  const err = new (ERROR_TYPES[serialised.name] ?? Error)(serialised.message);
  if (!(serialised.name in ERROR_TYPES)) err.name = serialised.name;
  if (serialised.stack !== undefined) err.stack = serialised.stack;
  return toDatabaseError(Object.assign(err, serialised.fields));
}

const transactionClosed = (): Error => new Error('Transaction is closed');

/**
 * A Database on PGlite (PostgreSQL in WebAssembly), for the embedded mode. PGlite runs on a worker
 * thread, so its statements cost the event loop only a message each way. One instance is shared by
 * every service of the process: PGlite runs one statement at a time and holds other callers back
 * while a transaction is open, so transactions never interleave.
 */
export async function createPGliteDatabase(options: PGliteDatabaseOptions = {}): Promise<Database> {
  const workerData: WorkerData = { pglite: createRequire(import.meta.url).resolve('@electric-sql/pglite'), dataDir: options.dataDir };
  // The worker runs plain CommonJS: none of this process's flags (a loader, `--input-type=module`) applies to it.
  const worker = new Worker(PGLITE_WORKER_SOURCE, { eval: true, workerData, execArgv: [] });
  const pending = new Map<number, { resolve(result: QueryResult<unknown> | undefined): void; reject(err: unknown): void }>();
  let nextId = 1;
  let openTransactions = 0;
  let closed: Promise<void> | undefined;
  let gone: unknown; // why the worker can no longer answer

  // Like a socket: the worker keeps the process alive only while something waits on it.
  const holdProcess = (): void => {
    if (pending.size > 0 || openTransactions > 0 || closed !== undefined) worker.ref();
    else worker.unref();
  };
  const settle = (id: number): ReturnType<typeof pending.get> => {
    const call = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) holdProcess();
    return call;
  };
  const abandon = (reason: unknown): void => {
    gone ??= reason;
    for (const id of [...pending.keys()]) settle(id)?.reject(reason);
  };

  worker.on('message', (reply: WorkerReply) => {
    const call = settle(reply.id);
    if (reply.ok) call?.resolve(reply.result);
    else call?.reject(revive(reply.error));
  });
  worker.on('error', (err) => abandon(new AppError('DATABASE_UNAVAILABLE', undefined, { cause: err })));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      abandon(closed === undefined ? new AppError('DATABASE_UNAVAILABLE', `PGlite's worker exited (code ${code})`) : new Error('PGlite is closed'));
      resolve();
    }),
  );

  const wait = (id: number): Promise<QueryResult<unknown> | undefined> =>
    new Promise((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
    });
  const call = (request: Unsent<WorkerRequest>): Promise<QueryResult<unknown> | undefined> => {
    if (gone !== undefined) return Promise.reject(gone);
    const id = nextId++;
    const answer = wait(id);
    try {
      worker.postMessage({ ...request, id });
    } catch (err) {
      settle(id)?.reject(err); // a parameter that cannot be cloned
    }
    return answer;
  };

  const query = async <R>(sql: string, params: readonly unknown[] | undefined, tx: number | undefined): Promise<QueryResult<R>> =>
    (await call({ op: 'query', sql, params, tx })) as QueryResult<R>;
  const exec = async (sql: string, tx: number | undefined): Promise<void> => {
    await call({ op: 'exec', sql, tx });
  };

  try {
    await wait(0);
  } catch (err) {
    await exited;
    throw err;
  }
  holdProcess();

  return {
    kind: 'pglite',
    query: <R>(sql: string, params?: readonly unknown[]) => query<R>(sql, params, undefined),
    // PGlite begins with the default isolation, READ COMMITTED.
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      openTransactions++;
      try {
        const id = nextId; // a transaction is named by the id of its `begin`
        await call({ op: 'begin' });
        let ended = false;
        const tx: Transaction = {
          query: <R>(sql: string, params?: readonly unknown[]) => (ended ? Promise.reject(transactionClosed()) : query<R>(sql, params, id)),
          exec: (sql: string) => (ended ? Promise.reject(transactionClosed()) : exec(sql, id)),
        };
        let result: T;
        try {
          result = await fn(tx);
        } catch (err) {
          ended = true;
          await call({ op: 'end', tx: id, commit: false }).catch(() => undefined); // the caller's error matters, not the rollback's
          throw err;
        }
        ended = true;
        await call({ op: 'end', tx: id, commit: true });
        return result;
      } finally {
        openTransactions--;
        holdProcess();
      }
    },
    async ping(): Promise<void> {
      await query('select 1', undefined, undefined);
    },
    close(): Promise<void> {
      if (closed === undefined) {
        closed = gone === undefined ? call({ op: 'close' }).then(() => exited) : exited;
        holdProcess();
      }
      return closed;
    },
  };
}

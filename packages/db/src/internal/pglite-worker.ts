import type { QueryResult } from '../types.js';
import { OID, parseDateAsUtc, parseInt8, parseTimestampAsUtc } from './parsers.js';

/** What the main thread asks the PGlite worker; `tx` names an open transaction (the id of its `begin`). */
export type WorkerRequest =
  | { readonly id: number; readonly op: 'query'; readonly sql: string; readonly params: readonly unknown[] | undefined; readonly tx: number | undefined }
  | { readonly id: number; readonly op: 'exec'; readonly sql: string; readonly tx: number | undefined }
  | { readonly id: number; readonly op: 'begin' }
  | { readonly id: number; readonly op: 'end'; readonly tx: number; readonly commit: boolean }
  | { readonly id: number; readonly op: 'close' };

/** A driver error sent across the thread: its message and its primitive fields (`code`, `constraint`, ...), never `params`. */
export interface SerialisedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly fields: Readonly<Record<string, string | number | boolean | null | undefined>>;
}

/** The worker's answer to request `id`; id 0 answers the start-up. */
export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly result?: QueryResult<unknown> }
  | { readonly id: number; readonly ok: false; readonly error: SerialisedError };

/** What the worker needs at start-up: the path of PGlite's CommonJS entry and the data folder. */
export interface WorkerData {
  readonly pglite: string;
  readonly dataDir: string | undefined;
}

/*
 * The worker as CommonJS source run by `new Worker(source, { eval: true })`: one text that works
 * the same under tsx, Vitest and the built dist, where a worker file would be `.ts` in one and `.js`
 * in the other. The parsers are the same functions the module exports (plain functions, no closure).
 *
 * Each request runs at once; PGlite's own locks keep one statement at a time and hold every other
 * caller back while a transaction is open, as in the main thread. A transaction is PGlite's
 * `transaction()`, kept open until the main thread sends `end`.
 */
export const PGLITE_WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
${parseInt8.toString()}
${parseTimestampAsUtc.toString()}
${parseDateAsUtc.toString()}
const OID = ${JSON.stringify(OID)};
// Fields that quote parameter or row values: they never leave the worker.
const VALUE_FIELDS = new Set(['params', 'queryOptions', 'detail']);

function serialise(err) {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), stack: undefined, fields: {} };
  const fields = {};
  for (const [key, value] of Object.entries(err)) {
    if (VALUE_FIELDS.has(key) || key === 'name' || key === 'message' || key === 'stack') continue;
    if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol' && typeof value !== 'bigint')) fields[key] = value;
  }
  return { name: err.name, message: err.message, stack: err.stack, fields };
}
const reply = (id, result) => parentPort.postMessage(result === undefined ? { id, ok: true } : { id, ok: true, result });
const fail = (id, err) => parentPort.postMessage({ id, ok: false, error: serialise(err) });

const ready = PGlite.create({
  ...(workerData.dataDir === undefined ? {} : { dataDir: workerData.dataDir }),
  parsers: { [OID.INT8]: parseInt8, [OID.TIMESTAMP]: parseTimestampAsUtc, [OID.DATE]: parseDateAsUtc },
});
/** Open transactions by id: PGlite's handle, and how to end it. */
const open = new Map();
const ROLLBACK = Symbol('rollback');

function target(pglite, tx) {
  if (tx === undefined) return pglite;
  const entry = open.get(tx);
  if (entry === undefined) throw new Error('Transaction is closed');
  return entry.tx;
}

function begin(pglite, id) {
  let entry;
  pglite
    .transaction((tx) => new Promise((resolve, reject) => {
      entry = { tx, endId: undefined, end: (commit) => (commit ? resolve() : reject(ROLLBACK)) };
      open.set(id, entry);
      reply(id);
    }))
    .then(
      () => reply(entry.endId),
      (err) => {
        open.delete(id);
        if (entry === undefined) fail(id, err); // BEGIN itself failed
        else if (err === ROLLBACK) reply(entry.endId);
        else fail(entry.endId, err);
      },
    );
}

async function handle(pglite, request) {
  switch (request.op) {
    case 'query': {
      const result = await target(pglite, request.tx).query(request.sql, request.params);
      // PGlite counts only modified rows in affectedRows; pg reports the rows a SELECT returned.
      return reply(request.id, { rows: result.rows, rowCount: result.affectedRows || result.rows.length });
    }
    case 'exec':
      await target(pglite, request.tx).exec(request.sql);
      return reply(request.id);
    case 'begin':
      return begin(pglite, request.id);
    case 'end': {
      const entry = open.get(request.tx);
      if (entry === undefined) throw new Error('Transaction is closed');
      open.delete(request.tx);
      entry.endId = request.id;
      return entry.end(request.commit);
    }
    case 'close':
      try {
        await pglite.close();
        reply(request.id);
      } catch (err) {
        fail(request.id, err);
      } finally {
        parentPort.close(); // the thread ends once the port is closed
      }
  }
}

ready.then(
  (pglite) => {
    parentPort.on('message', (request) => handle(pglite, request).catch((err) => fail(request.id, err)));
    reply(0);
  },
  (err) => {
    fail(0, err);
    parentPort.close();
  },
);
`;

import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '@realchat/clock';
import { parseEnvelope, type EventEnvelope } from '@realchat/contracts';
import type { Database, MigrationSource, Queryable } from '@realchat/db';
import { serialiseEvent } from './internal/event-size.js';

/** The bus tables (`outbox`, `processed_events`), to migrate into each service's schema. */
export const busMigrations: MigrationSource = { name: 'bus', dir: fileURLToPath(new URL('../migrations', import.meta.url)) };

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Returns `schema` once checked, for interpolation into SQL. */
export function checkSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return schema;
}

/**
 * Records `event` (or several, in their order) in `<schema>.outbox`, in one statement. Call it
 * with the transaction that makes the change the events describe: they are published if and only
 * if the change commits. Throws `InvalidEventError` for an event its contract rejects and an
 * AppError `PAYLOAD_TOO_LARGE` for one over `MAX_EVENT_BYTES`, so the transaction fails instead of
 * leaving a row the bus cannot carry.
 */
export async function appendToOutbox(tx: Queryable, schema: string, events: EventEnvelope | readonly EventEnvelope[]): Promise<void> {
  const list = Array.isArray(events) ? (events as readonly EventEnvelope[]) : [events as EventEnvelope];
  if (list.length === 0) return;
  const rows = list.map((event) => {
    const valid = parseEnvelope(event);
    serialiseEvent(valid);
    return { id: valid.id, type: valid.type, version: valid.version, occurredAt: valid.occurredAt, producer: valid.producer, data: valid.data ?? null };
  });
  // One JSON parameter for every row, the same on PostgreSQL and PGlite; `ord` keeps their order in `seq`.
  await tx.query(
    `insert into ${checkSchema(schema)}.outbox (id, type, version, occurred_at, producer, data)
     select (e->>'id')::uuid, e->>'type', (e->>'version')::integer, (e->>'occurredAt')::timestamptz, e->>'producer', e->'data'
     from jsonb_array_elements($1::jsonb) with ordinality as x(e, ord) order by ord
     on conflict (id) do nothing`,
    [JSON.stringify(rows)],
  );
}

export interface HandleOnceOptions {
  /** Stamps `processed_at`, which the relay's clean-up compares with its own clock (default: system clock). */
  readonly clock?: Clock;
}

/**
 * Runs `fn` for `event` at most once per `consumer`: in one transaction, records the event id in
 * `<schema>.processed_events` and runs `fn` only if it was not there. If `fn` throws, nothing is
 * recorded and a redelivery runs it again. Returns whether `fn` ran.
 */
export async function handleOnce(
  db: Database,
  schema: string,
  consumer: string,
  event: EventEnvelope,
  fn: (tx: Queryable) => Promise<void>,
  options: HandleOnceOptions = {},
): Promise<boolean> {
  return (await handleAllOnce(db, schema, consumer, [event], async (_, tx) => fn(tx), options)).length > 0;
}

/**
 * `handleOnce` for several events in one transaction: records the ids of all of them in one
 * statement and runs `fn` for each not recorded before, in order (an id twice in `events` runs
 * once). If any `fn` throws, nothing is recorded. Resolves with the results of the runs, in order.
 */
export async function handleAllOnce<T>(
  db: Database,
  schema: string,
  consumer: string,
  events: readonly EventEnvelope[],
  fn: (event: EventEnvelope, tx: Queryable) => Promise<T>,
  options: HandleOnceOptions = {},
): Promise<T[]> {
  const clock = options.clock ?? systemClock;
  return db.transaction(async (tx) => {
    // The clock, not the database's now(): clean-up deletes by the relay's clock, and one clock must rule.
    const { rows } = await tx.query<{ id: string }>(
      `insert into ${checkSchema(schema)}.processed_events (consumer, event_id, processed_at)
       select $1, id, $3 from unnest($2::uuid[]) as id on conflict do nothing returning event_id as id`,
      [consumer, events.map((e) => e.id), clock.now()],
    );
    const fresh = new Set(rows.map((r) => r.id));
    const results: T[] = [];
    for (const event of events) {
      // Postgres returns uuids in lower case.
      const id = event.id.toLowerCase();
      if (!fresh.delete(id)) continue;
      results.push(await fn(event, tx));
    }
    return results;
  });
}

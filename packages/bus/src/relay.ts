import { systemClock, type Clock, type TimerHandle } from '@realchat/clock';
import { InvalidEventError, type EventEnvelope } from '@realchat/contracts';
import type { Database, Queryable } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { Logger } from 'pino';
import { silentLogger } from './internal/logger.js';
import { backoffDelay } from './internal/retry.js';
import type { OutboxBacklog, OutboxRelayMetrics } from './metrics.js';
import { checkSchema } from './outbox.js';
import type { EventBus } from './types.js';

export interface OutboxRelayOptions {
  readonly db: Database;
  /** The service's schema holding `outbox` (see busMigrations). */
  readonly schema: string;
  readonly bus: EventBus;
  readonly logger?: Logger;
  /** How often pending rows are looked for without a notify() (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** Rows claimed per transaction (default 100). */
  readonly batchSize?: number;
  /** First retry delay after the bus failed, doubled per failure up to `maxRetryDelayMs` (defaults 500 ms, 30 s). */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** Published rows and processed event ids older than this are deleted (default 7 days). */
  readonly retentionMs?: number;
  /** How often that clean-up runs (default 1 hour). */
  readonly cleanupIntervalMs?: number;
  /**
   * Time for the retention and the clean-up interval, and the timers of the poll and of the retry
   * backoff. start() and notify() do not wait on it: they run the relay on the next turn.
   */
  readonly clock?: Clock;
  /**
   * Receives counts of published and failed rows and, after a drain, a sample of the backlog (one
   * more query, on the outbox's partial indexes, made only when this is given).
   */
  readonly metrics?: OutboxRelayMetrics;
  /**
   * Least time between two backlog samples (default: the poll interval): a busy producer notifies
   * the relay for every transaction, and the sample need not follow each. The poll interval's
   * drains keep it fresh when nothing else runs. Real (monotonic) time: it bounds queries, it is
   * not a business rule.
   */
  readonly sampleIntervalMs?: number;
  /**
   * Publish attempts after which a row its own contract refuses becomes a dead letter (default 20,
   * several minutes of backoff): during a rolling deploy an older instance's stricter contract
   * refuses a newer producer's event, which a newer instance's relay publishes meanwhile.
   */
  readonly invalidEventAttempts?: number;
}

export interface OutboxRelay {
  /** Starts publishing in the background: now, on each notify(), and every poll interval. */
  start(): void;
  /** Wakes the relay at once; call it after committing a transaction that appended events. */
  notify(): void;
  /** Publishes everything pending now, in order; resolves with how many were published (dead letters excluded), rejects if the bus fails. */
  drain(): Promise<number>;
  /** Deletes published rows and processed event ids older than the retention (dead letters stay for inspection); resolves with how many outbox rows went. */
  cleanup(): Promise<number>;
  /** Stops the background loop and waits for a publish in progress. */
  stop(): Promise<void>;
}

interface OutboxRow {
  seq: number;
  attempts: number;
  id: string;
  type: string;
  version: number;
  occurred_at: Date;
  producer: string;
  data: unknown;
}

/**
 * True for a failure that retrying the same event cannot cure: over the payload limit, or refused
 * by the contract on its last allowed attempt. Anything else (NATS down, a timeout, an unknown
 * error) is transient.
 */
function isPermanentPublishError(err: unknown, attempt: number, invalidEventAttempts: number): boolean {
  if (err instanceof InvalidEventError) return attempt >= invalidEventAttempts;
  return err instanceof AppError && err.code === 'PAYLOAD_TOO_LARGE';
}

/** Runs `fn` on the next turn of the event loop. */
function nextTurn(fn: () => void): TimerHandle {
  const immediate = setImmediate(fn);
  return { clear: () => clearImmediate(immediate) };
}

function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 1000);
}

function toEnvelope(row: OutboxRow): EventEnvelope {
  return { id: row.id, type: row.type, version: row.version, occurredAt: row.occurred_at.toISOString(), producer: row.producer, data: row.data };
}

/**
 * Publishes the rows of `<schema>.outbox` to the bus, at least once and in `seq` order (the bus
 * de-duplicates by event id). A batch's events are published at once, in order, and awaited
 * together; when the bus fails, an event whose publish failed may reach the bus after later ones
 * of its batch that did not fail. On PostgreSQL, several instances take turns, batch by batch,
 * under a transaction-scoped advisory lock of the schema, so none overtakes another. When the bus
 * fails, rows stay pending with `attempts` and `last_error` updated (on the first failed row), and
 * the relay retries with backoff; it never throws from the background.
 * A row the bus rejects for good (see isPermanentPublishError) is a dead letter: marked
 * `failed_at`, logged at error level, and skipped, so it cannot stall the rows after it.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, bus } = options;
  const schema = checkSchema(options.schema);
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 100;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const invalidEventAttempts = options.invalidEventAttempts ?? 20;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  const cleanupIntervalMs = options.cleanupIntervalMs ?? 3600_000;
  const metrics = options.metrics;
  const sampleIntervalMs = options.sampleIntervalMs ?? pollIntervalMs;
  if (!Number.isFinite(sampleIntervalMs) || sampleIntervalMs < 0) throw new RangeError('sampleIntervalMs must be a finite number ≥ 0');

  let running = false;
  let timer: TimerHandle | undefined;
  let failures = 0;
  let lastCleanup = -Infinity;
  let current: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  let tick: Promise<void> | undefined;
  let lastSampleMs = -Infinity;

  interface BatchResult {
    /** Rows read: fewer than `batchSize` means nothing is left. */
    readonly claimed: number;
    readonly published: number;
    readonly deadLettered: number;
    /** The last seq published or dead-lettered, before any failure (0: none). */
    readonly handled: number;
    readonly failure?: { readonly eventId: string; readonly err: unknown };
  }

  /**
   * Publishes one batch in order. A permanent failure marks its row failed and moves on; a
   * transient one is recorded on its row and ends the batch there: the rows after it stay pending.
   */
  async function publishBatch(q: Queryable, lock: boolean, after: number): Promise<BatchResult> {
    // One relay of the schema at a time: with row locks alone, a second relay would skip the rows
    // another is publishing and send later events first.
    if (lock) await q.query('select pg_advisory_xact_lock(hashtext($1))', [`realchat.outbox.${schema}`]);
    const { rows } = await q.query<OutboxRow>(
      `select seq, attempts, id, type, version, occurred_at, producer, data from ${schema}.outbox
       where published_at is null and failed_at is null and seq > $2 order by seq limit $1${lock ? ' for update skip locked' : ''}`,
      [batchSize, after],
    );
    const published: number[] = [];
    const dead: { seq: number; message: string }[] = [];
    let failure: { row: OutboxRow; err: unknown } | undefined;
    // All at once, in order on the one connection: a round trip per batch, not per event.
    const outcomes = await Promise.allSettled(rows.map((row) => bus.publish(toEnvelope(row))));
    for (const [i, row] of rows.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.status === 'fulfilled') {
        published.push(row.seq);
        continue;
      }
      const err: unknown = outcome.reason;
      if (isPermanentPublishError(err, row.attempts + 1, invalidEventAttempts)) {
        logger.error({ err, eventId: row.id, type: row.type, seq: row.seq, schema }, 'outbox event can never be published; marked failed');
        dead.push({ seq: row.seq, message: errorMessage(err) });
        continue;
      }
      // The rows after it stay pending, whatever became of them: published again later (the bus
      // de-duplicates them), never marked before it.
      failure = { row, err };
      break;
    }
    const now = clock.now();
    if (published.length > 0) {
      await q.query(`update ${schema}.outbox set published_at = $1, attempts = attempts + 1, last_error = null where seq = any($2::bigint[])`, [
        now,
        published,
      ]);
    }
    for (const { seq, message } of dead) {
      await q.query(`update ${schema}.outbox set failed_at = $1, attempts = attempts + 1, last_error = $3 where seq = $2`, [now, seq, message]);
    }
    const handled = Math.max(published.at(-1) ?? 0, dead.at(-1)?.seq ?? 0);
    const result = { claimed: rows.length, published: published.length, deadLettered: dead.length, handled };
    if (failure === undefined) return result;
    await q.query(`update ${schema}.outbox set attempts = attempts + 1, last_error = $2 where seq = $1`, [failure.row.seq, errorMessage(failure.err)]);
    return { ...result, failure: { eventId: failure.row.id, err: failure.err } };
  }

  /** Counts every pending and dead row; both conditions match a partial index, so only those rows are read. */
  async function sampleBacklog(sink: OutboxRelayMetrics): Promise<void> {
    try {
      const { rows } = await db.query<{ pending: number; oldest: Date | null; dead: number }>(
        `select (select count(*) from ${schema}.outbox where published_at is null and failed_at is null) as pending,
                (select occurred_at from ${schema}.outbox where published_at is null and failed_at is null order by seq limit 1) as oldest,
                (select count(*) from ${schema}.outbox where failed_at is not null) as dead`,
      );
      const row = rows[0];
      if (row === undefined) return;
      const backlog: OutboxBacklog = { pending: Number(row.pending), oldestPendingAt: row.oldest, deadLetters: Number(row.dead) };
      sink.sampled(backlog);
    } catch (err) {
      // A metric must never fail a drain, nor hide the error it is failing with.
      logger.warn({ err, schema }, 'outbox backlog sample failed');
    }
  }

  async function drainNow(): Promise<number> {
    try {
      return await drainBatches();
    } finally {
      const nowMs = performance.now();
      if (metrics !== undefined && nowMs - lastSampleMs >= sampleIntervalMs) {
        lastSampleMs = nowMs;
        await sampleBacklog(metrics);
      }
    }
  }

  async function drainBatches(): Promise<number> {
    let total = 0;
    // From the first pending row, then past the rows this drain handled: published rows leave dead
    // entries in the pending index until vacuum, which every batch would walk again. A row
    // committed late with a smaller seq is found by the next drain.
    let cursor = 0;
    for (;;) {
      const after = cursor;
      // PGlite is one connection shared by the process: no lock held while publishing, and no competing relay to skip.
      // The batch's transaction commits even when the bus failed, keeping what was published and the failure.
      const batch = db.kind === 'postgres' ? await db.transaction((tx) => publishBatch(tx, true, after)) : await publishBatch(db, false, after);
      cursor = Math.max(cursor, batch.handled);
      total += batch.published;
      if (batch.published > 0) metrics?.published(batch.published);
      if (batch.deadLettered > 0) metrics?.failed('dead_letter', batch.deadLettered);
      if (batch.failure !== undefined) {
        metrics?.failed('transient', 1);
        throw new Error(`outbox relay: publishing event ${batch.failure.eventId} failed after ${total} published`, { cause: batch.failure.err });
      }
      if (batch.claimed < batchSize) return total;
    }
  }

  /** Single flight: a call during a run waits for one more run, which sees rows committed meanwhile. */
  function drain(): Promise<number> {
    if (current === undefined) {
      current = drainNow().finally(() => {
        current = undefined;
      });
      return current;
    }
    queued ??= current
      .catch(() => 0)
      .then(() => {
        queued = undefined;
        return drain();
      });
    return queued;
  }

  async function cleanup(): Promise<number> {
    const cutoff = new Date(clock.now().getTime() - retentionMs);
    const { rowCount } = await db.query(`delete from ${schema}.outbox where published_at < $1`, [cutoff]);
    await db.query(`delete from ${schema}.processed_events where processed_at < $1`, [cutoff]);
    return rowCount;
  }

  /** Runs a tick after `delayMs` by the clock, or on the next turn for 'now'. */
  function schedule(delayMs: number | 'now'): void {
    if (!running) return;
    timer?.clear();
    const run = (): void => {
      timer = undefined;
      tick = runTick().finally(() => {
        tick = undefined;
      });
    };
    // A wake-up (start, notify) waits on no clock: with a paused test clock, committed events still go out.
    timer = delayMs === 'now' ? nextTurn(run) : clock.setTimeout(run, delayMs);
  }

  async function runTick(): Promise<void> {
    try {
      const count = await drain();
      if (count > 0) logger.debug({ count, schema }, 'outbox events published');
      failures = 0;
      if (clock.now().getTime() - lastCleanup >= cleanupIntervalMs) {
        lastCleanup = clock.now().getTime();
        const removed = await cleanup();
        if (removed > 0) logger.info({ removed, schema }, 'old outbox rows deleted');
      }
      schedule(pollIntervalMs);
    } catch (err) {
      failures += 1;
      const delay = backoffDelay(failures, retryDelayMs, maxRetryDelayMs);
      logger.warn({ err, schema, failures, retryInMs: delay }, 'outbox relay failed; will retry');
      schedule(delay);
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      schedule('now');
    },
    notify(): void {
      // While backing off from a failure, a notify must not turn into a busy retry loop.
      if (running && failures === 0 && tick === undefined) schedule('now');
      else if (running && failures === 0) void tick?.then(() => schedule('now'));
    },
    drain,
    cleanup,
    async stop(): Promise<void> {
      running = false;
      timer?.clear();
      timer = undefined;
      await tick;
      await current?.catch(() => undefined);
    },
  };
}

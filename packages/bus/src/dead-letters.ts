import type { Queryable } from '@realchat/db';
import { checkSchema } from './outbox.js';

/** An outbox row the relay gave up on (see createOutboxRelay), kept for inspection. */
export interface DeadLetter {
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly occurredAt: Date;
  readonly attempts: number;
  readonly failedAt: Date;
  readonly lastError: string | null;
}

export interface ListDeadLettersOptions {
  /** Default 100, at most 1000. */
  readonly limit?: number;
  /** Only rows after this `seq`: pass the last one seen to read the next page. */
  readonly afterSeq?: number;
}

/** The dead letters of `<schema>.outbox`, oldest first. */
export async function listDeadLetters(db: Queryable, schema: string, options: ListDeadLettersOptions = {}): Promise<DeadLetter[]> {
  const limit = options.limit ?? 100;
  const afterSeq = options.afterSeq ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError('limit must be an integer from 1 to 1000');
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError('afterSeq must be a non-negative integer');
  const { rows } = await db.query<{ seq: number; id: string; type: string; occurred_at: Date; attempts: number; failed_at: Date; last_error: string | null }>(
    `select seq, id, type, occurred_at, attempts, failed_at, last_error from ${checkSchema(schema)}.outbox
     where failed_at is not null and seq > $1 order by seq limit $2`,
    [afterSeq, limit],
  );
  return rows.map((r) => ({
    seq: r.seq,
    id: r.id,
    type: r.type,
    occurredAt: r.occurred_at,
    attempts: r.attempts,
    failedAt: r.failed_at,
    lastError: r.last_error,
  }));
}

/**
 * Puts dead letters back in line for the relay, with their attempts reset: for after their cause
 * is fixed (the event's contract deployed everywhere, NATS's max_payload raised). The relay sends
 * them before any later pending row, but after the events published while they were dead, so
 * consumers get them late and out of order; handlers are idempotent and must not assume order
 * across aggregates. `'all'` requeues every dead letter. Resolves with how many were requeued.
 */
export async function requeueDeadLetters(db: Queryable, schema: string, which: readonly number[] | 'all'): Promise<number> {
  if (which !== 'all' && !which.every((seq) => Number.isSafeInteger(seq) && seq > 0)) throw new RangeError('seq numbers must be positive integers');
  const { rowCount } = await db.query(
    `update ${checkSchema(schema)}.outbox set failed_at = null, attempts = 0
     where failed_at is not null${which === 'all' ? '' : ' and seq = any($1::bigint[])'}`,
    which === 'all' ? [] : [[...which]],
  );
  return rowCount;
}

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ManualClock } from '@realchat/clock';
import type { EventEnvelope } from '@realchat/contracts';
import { createPostgresDatabase, migrate, type Database } from '@realchat/db';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@realchat/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { AppError } from '@realchat/errors';
import {
  appendToOutbox,
  busMigrations,
  createOutboxRelay,
  handleAllOnce,
  handleOnce,
  listDeadLetters,
  MAX_EVENT_BYTES,
  requeueDeadLetters,
  type EventBus,
  type OutboxBacklog,
  type OutboxRelayMetrics,
} from '../src/index.js';
import { createTestBus, testBusKinds, testNatsUrl, type TestBus } from '../src/testing.js';
import { deferred, eventually, settle, testEvent } from './helpers.js';

/** Inserts a row as an older producer or a hand-written statement could have, past appendToOutbox's checks. */
async function insertRaw(db: Database, event: { id: string; type: string; data: unknown }): Promise<void> {
  await db.query(`insert into ${schema}.outbox (id, type, version, occurred_at, producer, data) values ($1, $2, 1, now(), 'bus-test', $3::jsonb)`, [
    event.id,
    event.type,
    JSON.stringify(event.data),
  ]);
}

const schema = 'svc';

/** A bus whose publish can be switched off, counting every call that reached the real bus. */
function switchableBus(bus: EventBus): EventBus & { down: boolean; published: string[] } {
  const wrapper = {
    ...bus,
    down: false,
    published: [] as string[],
    async publish(event: EventEnvelope) {
      if (wrapper.down) throw new Error('bus is down');
      wrapper.published.push(event.id);
      await bus.publish(event);
    },
  };
  return wrapper;
}

/** A metrics sink that keeps what the relay reported. */
function recordingMetrics(): OutboxRelayMetrics & { totals: { published: number; transient: number; dead_letter: number }; samples: number; backlog?: OutboxBacklog } {
  const totals = { published: 0, transient: 0, dead_letter: 0 };
  const sink: OutboxRelayMetrics & { totals: typeof totals; samples: number; backlog?: OutboxBacklog } = {
    totals,
    samples: 0,
    published: (count) => void (totals.published += count),
    failed: (kind, count) => void (totals[kind] += count),
    sampled: (backlog) => {
      sink.samples += 1;
      sink.backlog = backlog;
    },
  };
  return sink;
}

async function pending(db: Database): Promise<{ attempts: number; last_error: string | null }[]> {
  const { rows } = await db.query<{ attempts: number; last_error: string | null }>(
    `select attempts, last_error from ${schema}.outbox where published_at is null order by seq`,
  );
  return rows;
}

describe.each(testDatabaseKinds)('outbox on %s with JetStream', (kind) => {
  let db: TestDatabase;
  let bus: TestBus;

  beforeEach(async () => {
    [db, bus] = await Promise.all([createTestDatabase(kind), createTestBus('jetstream', { retryDelayMs: 30 })]);
    await migrate(db, { schema, sources: [busMigrations] });
  });
  afterEach(async () => {
    await Promise.all([db.close(), bus.close()]);
  });

  it('publishes events of committed transactions, with the event id as message id', async () => {
    const got: EventEnvelope[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'reader', handler: async (e) => void got.push(e) });
    const first = testEvent('test.happened', { n: 1 });
    const second = testEvent('test.happened', { n: 2, nested: { ok: true } });
    await db.transaction(async (tx) => {
      await appendToOutbox(tx, schema, first);
      await appendToOutbox(tx, schema, second);
    });
    const relay = createOutboxRelay({ db, schema, bus });
    expect(await relay.drain()).toBe(2);
    expect(await relay.drain()).toBe(0);
    await eventually(() => expect(got).toEqual([first, second]));

    const nc = await connect({ servers: testNatsUrl() });
    try {
      const jsm = await jetstreamManager(nc);
      const stored = await jsm.streams.getMessage(bus.stream ?? '', { seq: 1 });
      expect(stored?.subject).toBe(`${bus.subjectPrefix}.test.happened`);
      expect(stored?.header.get('Nats-Msg-Id')).toBe(first.id);
    } finally {
      await nc.close();
    }
    const { rows } = await db.query<{ published_at: Date | null; attempts: number }>(`select published_at, attempts from ${schema}.outbox`);
    expect(rows.every((r) => r.published_at instanceof Date && r.attempts === 1)).toBe(true);
  });

  it('never publishes events of a rolled-back transaction', async () => {
    await expect(
      db.transaction(async (tx) => {
        await appendToOutbox(tx, schema, testEvent());
        throw new Error('domain change failed');
      }),
    ).rejects.toThrow('domain change failed');
    const counted = switchableBus(bus);
    const relay = createOutboxRelay({ db, schema, bus: counted });
    expect(await relay.drain()).toBe(0);
    expect(counted.published).toEqual([]);
  });

  it('keeps rows pending while the bus is down and publishes them, in order, once it is back', async () => {
    const flaky = switchableBus(bus);
    const events = [testEvent(), testEvent(), testEvent()];
    await db.transaction(async (tx) => {
      for (const event of events) await appendToOutbox(tx, schema, event);
    });
    const relay = createOutboxRelay({ db, schema, bus: flaky });
    flaky.down = true;
    await expect(relay.drain()).rejects.toThrow(/publishing event .* failed/);
    await expect(relay.drain()).rejects.toThrow(/publishing event .* failed/);
    expect(await pending(db)).toEqual([
      { attempts: 2, last_error: 'bus is down' },
      { attempts: 0, last_error: null },
      { attempts: 0, last_error: null },
    ]);
    flaky.down = false;
    expect(await relay.drain()).toBe(3);
    expect(flaky.published).toEqual(events.map((e) => e.id));
    expect(await pending(db)).toEqual([]);
  });

  it('publishes a batch at once, in order, and marks published only the events before a failed one', async () => {
    const events = Array.from({ length: 5 }, () => testEvent());
    await db.transaction((tx) => appendToOutbox(tx, schema, events));
    let open = 0;
    let most = 0;
    const calls: string[] = [];
    const failing = events[2]!.id;
    const slow: EventBus = {
      ...bus,
      async publish(event) {
        calls.push(event.id);
        open++;
        most = Math.max(most, open);
        await settle(20);
        open--;
        if (event.id === failing) throw new Error('timed out');
        await bus.publish(event);
      },
    };
    await expect(createOutboxRelay({ db, schema, bus: slow }).drain()).rejects.toThrow(/publishing event .* failed/);
    expect(calls).toEqual(events.map((e) => e.id));
    expect(most).toBe(5);
    // The two after the failed one went out too, but stay pending: they are published again after it.
    expect(await pending(db)).toEqual([
      { attempts: 1, last_error: 'timed out' },
      { attempts: 0, last_error: null },
      { attempts: 0, last_error: null },
    ]);
    expect(await createOutboxRelay({ db, schema, bus }).drain()).toBe(3);
    expect(await pending(db)).toEqual([]);
  });

  // Two transactions at once: PGlite runs one at a time, so a smaller seq never commits late there.
  it.runIf(kind === 'postgres')('reads from the first pending row once per drain, then past the rows it handled; a row committed late with a smaller seq goes with the next drain', async () => {
    const published: string[] = [];
    const selects: string[] = [];
    const relay = createOutboxRelay({
      db: {
        ...db,
        // The relay's reads of pending rows, with the seq each starts after.
        transaction: (fn) =>
          db.transaction((tx) =>
            fn(
              new Proxy(tx, {
                get(target, prop) {
                  const value: unknown = Reflect.get(target, prop);
                  if (prop !== 'query' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
                  return (text: string, params?: readonly unknown[]) => {
                    if (text.includes(`from ${schema}.outbox`) && text.includes('skip locked')) selects.push(String(params?.[1]));
                    return tx.query(text, params);
                  };
                },
              }),
            ),
          ),
      },
      schema,
      batchSize: 2,
      bus: { ...bus, publish: async (event) => void published.push(event.id) },
    });
    const [late, a, b, c] = [testEvent(), testEvent(), testEvent(), testEvent()];
    // `late` takes its seq first and commits after the others were published.
    const appended = deferred();
    const commit = deferred();
    const slow = db.transaction(async (tx) => {
      await appendToOutbox(tx, schema, late);
      appended.resolve();
      await commit.promise;
    });
    await appended.promise;
    await db.transaction((tx) => appendToOutbox(tx, schema, [a, b, c]));
    expect(await relay.drain()).toBe(3);
    const { rows } = await db.query<{ seq: string }>(`select seq::text from ${schema}.outbox where id = any($1::uuid[]) order by seq`, [[a.id, b.id]]);
    // Batches of two: the first from the start, the second past b.
    expect(selects).toEqual(['0', rows[1]!.seq]);
    commit.resolve();
    await slow;
    expect(await relay.drain()).toBe(1);
    expect(published).toEqual([a.id, b.id, c.id, late.id]);
  });

  it('runs in the background: publishes on notify and recovers from a bus outage by itself', async () => {
    const got: string[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'reader', handler: async (e) => void got.push(e.id) });
    const flaky = switchableBus(bus);
    const relay = createOutboxRelay({ db, schema, bus: flaky, pollIntervalMs: 60_000, retryDelayMs: 20, maxRetryDelayMs: 50 });
    relay.start();
    try {
      const a = testEvent();
      await db.transaction((tx) => appendToOutbox(tx, schema, a));
      relay.notify();
      // The poll interval is a minute: only notify() can make this fast.
      await eventually(() => expect(got).toEqual([a.id]), 2000);

      flaky.down = true;
      const b = testEvent();
      await db.transaction((tx) => appendToOutbox(tx, schema, b));
      relay.notify();
      // Several failed attempts, with backoff, and the relay keeps going.
      await eventually(async () => expect((await pending(db))[0]?.attempts ?? 0).toBeGreaterThan(1), 2000);
      flaky.down = false;
      await eventually(() => expect(got).toEqual([a.id, b.id]), 3000);
    } finally {
      await relay.stop();
    }
  });

  it('polls and backs off by its clock, while start() and notify() wait on no clock', async () => {
    const clock = new ManualClock(new Date());
    const flaky = switchableBus(bus);
    const relay = createOutboxRelay({ db, schema, bus: flaky, clock, pollIntervalMs: 60_000, retryDelayMs: 1_000 });
    relay.start();
    try {
      // The first run found nothing and armed the poll.
      await eventually(() => expect(clock.pendingTimers).toBe(1));
      const a = testEvent();
      await db.transaction((tx) => appendToOutbox(tx, schema, a));
      await settle(100);
      expect(flaky.published).toEqual([]);
      clock.advance(60_000);
      await eventually(() => expect(flaky.published).toEqual([a.id]));

      flaky.down = true;
      const b = testEvent();
      await db.transaction((tx) => appendToOutbox(tx, schema, b));
      relay.notify();
      await eventually(async () => expect((await pending(db))[0]?.attempts).toBe(1));
      // Armed once the failed run is over: the retry, 1 s by the clock.
      await eventually(() => expect(clock.pendingTimers).toBe(1));
      flaky.down = false;
      clock.advance(999);
      await settle(100);
      expect(flaky.published).toEqual([a.id]);
      clock.advance(1);
      await eventually(() => expect(flaky.published).toEqual([a.id, b.id]));
    } finally {
      await relay.stop();
    }
  });

  it('deletes published rows older than the retention, never pending ones', async () => {
    const clock = new ManualClock(new Date());
    const relay = createOutboxRelay({ db, schema, bus, clock, retentionMs: 24 * 3600_000 });
    await db.transaction((tx) => appendToOutbox(tx, schema, testEvent()));
    expect(await relay.drain()).toBe(1);
    const flaky = switchableBus(bus);
    flaky.down = true;
    await db.transaction((tx) => appendToOutbox(tx, schema, testEvent()));
    await expect(createOutboxRelay({ db, schema, bus: flaky }).drain()).rejects.toThrow();
    expect(await relay.cleanup()).toBe(0);
    clock.advance(25 * 3600_000);
    expect(await relay.cleanup()).toBe(1);
    const { rows } = await db.query<{ n: number }>(`select count(*) as n from ${schema}.outbox`);
    expect(rows[0]?.n).toBe(1);
  });

  it('refuses to append an event over MAX_EVENT_BYTES, failing the transaction', async () => {
    const big = testEvent('test.happened', { blob: 'x'.repeat(MAX_EVENT_BYTES) });
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`insert into ${schema}.outbox (id, type, version, occurred_at, producer, data) values ($1, 'test.before', 1, now(), 'p', '{}')`, [
          testEvent().id,
        ]);
        await appendToOutbox(tx, schema, big);
      }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from ${schema}.outbox`);
    expect(rows[0]?.n).toBe(0);
  });

  it.each(testBusKinds)('dead-letters a row the %s bus can never take, and publishes the rows after it', async (busKind) => {
    // Regression: the relay stopped at the first failing row and retried it forever, holding back every later event.
    const target = busKind === 'jetstream' ? bus : await createTestBus(busKind);
    try {
      const lines: Record<string, unknown>[] = [];
      const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
      const got: string[] = [];
      await target.subscribe({ types: ['test.happened'], durable: 'reader', handler: async (e) => void got.push(e.id) });
      const first = testEvent();
      const invalid = { id: testEvent().id, type: 'test.Not_valid', data: {} };
      const tooBig = { id: testEvent().id, type: 'test.happened', data: { blob: 'x'.repeat(MAX_EVENT_BYTES + 10) } };
      const last = testEvent();
      await db.transaction((tx) => appendToOutbox(tx, schema, first));
      await insertRaw(db, invalid);
      await insertRaw(db, tooBig);
      await db.transaction((tx) => appendToOutbox(tx, schema, last));
      const relay = createOutboxRelay({ db, schema, bus: target, logger, invalidEventAttempts: 2 });
      // The row its contract refuses first waits like a transient failure (a newer instance may take it)...
      await expect(relay.drain()).rejects.toThrow(/publishing event/);
      // ...and is a dead letter at its last attempt; the oversized one at once.
      expect(await relay.drain()).toBe(1);
      await eventually(() => expect(got).toEqual([first.id, last.id]));
      expect(await relay.drain()).toBe(0);
      const { rows } = await db.query<{ id: string; failed: boolean; published: boolean; last_error: string | null }>(
        `select id, failed_at is not null as failed, published_at is not null as published, last_error from ${schema}.outbox order by seq`,
      );
      expect(rows.map((r) => [r.failed, r.published])).toEqual([
        [false, true],
        [true, false],
        [true, false],
        [false, true],
      ]);
      expect(rows[1]?.last_error).toMatch(/invalid event envelope/);
      expect(rows[2]?.last_error).toMatch(/limit/);
      for (const dead of [invalid, tooBig]) {
        expect(lines).toContainEqual(expect.objectContaining({ level: 50, eventId: dead.id, type: dead.type }));
      }
    } finally {
      if (target !== bus) await target.close();
    }
  });

  it('lists dead letters and requeues them, once their cause is fixed, for the relay to publish', async () => {
    const got: string[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'reader', handler: async (e) => void got.push(e.id) });
    const [first, refused, last] = [testEvent(), testEvent(), testEvent()];
    // A server whose max_payload is below this event's size, until an operator raises it.
    let limitRaised = false;
    const relay = createOutboxRelay({
      db,
      schema,
      bus: {
        ...bus,
        publish: async (event) => {
          if (event.id === refused.id && !limitRaised) throw new AppError('PAYLOAD_TOO_LARGE', 'over max_payload');
          await bus.publish(event);
        },
      },
    });
    for (const event of [first, refused, last]) await db.transaction((tx) => appendToOutbox(tx, schema, event));
    expect(await relay.drain()).toBe(2);
    await eventually(() => expect(got).toEqual([first.id, last.id]));

    const dead = await listDeadLetters(db, schema);
    expect(dead).toEqual([
      { seq: expect.any(Number), id: refused.id, type: refused.type, occurredAt: new Date(refused.occurredAt), attempts: 1, failedAt: expect.any(Date), lastError: 'over max_payload' },
    ]);
    expect(await listDeadLetters(db, schema, { afterSeq: dead[0]!.seq })).toEqual([]);
    await expect(listDeadLetters(db, schema, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(requeueDeadLetters(db, schema, [0])).rejects.toThrow(RangeError);

    // Neither a published row nor an unknown seq is touched.
    const { rows } = await db.query<{ seq: number }>(`select seq from ${schema}.outbox where id = $1`, [first.id]);
    expect(await requeueDeadLetters(db, schema, [rows[0]!.seq, dead[0]!.seq + 1000])).toBe(0);
    limitRaised = true;
    expect(await requeueDeadLetters(db, schema, 'all')).toBe(1);
    expect(await listDeadLetters(db, schema)).toEqual([]);
    expect(await relay.drain()).toBe(1);
    await eventually(() => expect(got).toEqual([first.id, last.id, refused.id]));
    const { rows: after } = await db.query<{ published: boolean; attempts: number }>(
      `select published_at is not null as published, attempts from ${schema}.outbox where id = $1`,
      [refused.id],
    );
    expect(after).toEqual([{ published: true, attempts: 1 }]);
  });

  it.each(testBusKinds)('reports published, transient and dead-lettered rows and samples the backlog after each drain (%s bus)', async (busKind) => {
    const target = busKind === 'jetstream' ? bus : await createTestBus(busKind);
    try {
      const flaky = switchableBus(target);
      const metrics = recordingMetrics();
      const relay = createOutboxRelay({ db, schema, bus: flaky, metrics, sampleIntervalMs: 0 });
      const events = [testEvent(), testEvent()];
      await db.transaction(async (tx) => {
        for (const event of events) await appendToOutbox(tx, schema, event);
      });
      expect(await relay.drain()).toBe(2);
      expect(metrics.totals).toEqual({ published: 2, transient: 0, dead_letter: 0 });
      expect(metrics.backlog).toEqual({ pending: 0, oldestPendingAt: null, deadLetters: 0 });

      // The bus is off: each failed drain counts once, and the sample shows the rows it holds back.
      flaky.down = true;
      const stuck = [testEvent(), testEvent(), testEvent()];
      await db.transaction(async (tx) => {
        for (const event of stuck) await appendToOutbox(tx, schema, event);
      });
      await expect(relay.drain()).rejects.toThrow(/publishing event/);
      await expect(relay.drain()).rejects.toThrow(/publishing event/);
      expect(metrics.totals).toEqual({ published: 2, transient: 2, dead_letter: 0 });
      expect(metrics.backlog).toEqual({ pending: 3, oldestPendingAt: new Date(stuck[0]!.occurredAt), deadLetters: 0 });

      // Back on, with a row no bus can take among them: it is dead-lettered and the rest go out.
      flaky.down = false;
      await insertRaw(db, { id: testEvent().id, type: 'test.happened', data: { blob: 'x'.repeat(MAX_EVENT_BYTES + 10) } });
      expect(await relay.drain()).toBe(3);
      expect(metrics.totals).toEqual({ published: 5, transient: 2, dead_letter: 1 });
      expect(metrics.backlog).toEqual({ pending: 0, oldestPendingAt: null, deadLetters: 1 });
      // Dead letters stay counted (they are kept for inspection) and are never reported again.
      expect(await relay.drain()).toBe(0);
      expect(metrics.totals).toEqual({ published: 5, transient: 2, dead_letter: 1 });
      expect(metrics.backlog?.deadLetters).toBe(1);
    } finally {
      if (target !== bus) await target.close();
    }
  });

  it('samples the backlog at most once per sample interval', async () => {
    const metrics = recordingMetrics();
    const relay = createOutboxRelay({ db, schema, bus, metrics, sampleIntervalMs: 60_000 });
    expect(await relay.drain()).toBe(0);
    expect(metrics.samples).toBe(1);
    await db.transaction((tx) => appendToOutbox(tx, schema, testEvent()));
    expect(await relay.drain()).toBe(1);
    expect(await relay.drain()).toBe(0);
    expect(metrics.samples).toBe(1);

    const often = recordingMetrics();
    const other = createOutboxRelay({ db, schema, bus, metrics: often, sampleIntervalMs: 100 });
    expect(await other.drain()).toBe(0);
    await settle(150);
    expect(await other.drain()).toBe(0);
    expect(often.samples).toBe(2);
    expect(often.backlog).toEqual({ pending: 0, oldestPendingAt: null, deadLetters: 0 });
    expect(() => createOutboxRelay({ db, schema, bus, sampleIntervalMs: Number.NaN })).toThrow(RangeError);
  });

  it('keeps draining when the backlog sample fails, and a sink is optional', async () => {
    const metrics = { ...recordingMetrics(), sampled: () => undefined };
    const throwingDb: Database = {
      ...db,
      query: (async (sql: string, params?: unknown[]) => {
        if (sql.includes('as pending')) throw new Error('sample failed');
        return db.query(sql, params);
      }) as Database['query'],
    };
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    await db.transaction((tx) => appendToOutbox(tx, schema, testEvent()));
    expect(await createOutboxRelay({ db: throwingDb, schema, bus, metrics, logger }).drain()).toBe(1);
    expect(metrics.totals.published).toBe(1);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: 'outbox backlog sample failed' }));
    await db.transaction((tx) => appendToOutbox(tx, schema, testEvent()));
    expect(await createOutboxRelay({ db, schema, bus }).drain()).toBe(1);
  });

  it('stamps processed events with the injected clock, which clean-up uses too', async () => {
    // Regression: processed_at came from the database's now() while clean-up used the clock.
    const clock = new ManualClock(new Date(Date.UTC(2020, 0, 1)));
    expect(await handleOnce(db, schema, 'c', testEvent(), async () => undefined, { clock })).toBe(true);
    const { rows } = await db.query<{ processed_at: Date }>(`select processed_at from ${schema}.processed_events`);
    expect(rows[0]?.processed_at.getTime()).toBe(clock.now().getTime());
    clock.advance(25 * 3600_000);
    await createOutboxRelay({ db, schema, bus, clock, retentionMs: 24 * 3600_000 }).cleanup();
    const left = await db.query<{ n: number }>(`select count(*)::int as n from ${schema}.processed_events`);
    expect(left.rows[0]?.n).toBe(0);
  });

  it('handles a redelivered event once with handleOnce', async () => {
    let effects = 0;
    let deliveries = 0;
    await bus.subscribe({
      types: ['test.happened'],
      durable: 'projector',
      handler: async (event) => {
        deliveries += 1;
        await handleOnce(db, schema, 'projector', event, async (tx) => {
          await tx.query('select 1');
          effects += 1;
        });
        // Fails after the effect committed, as a crash before the ack would: the bus redelivers.
        if (deliveries === 1) throw new Error('lost ack');
      },
    });
    await db.transaction((tx) => appendToOutbox(tx, schema, testEvent()));
    await createOutboxRelay({ db, schema, bus }).drain();
    await eventually(() => expect(deliveries).toBe(2));
    expect(effects).toBe(1);
  });

  it('handleOnce records nothing when the handler throws, so a retry runs it', async () => {
    const event = testEvent();
    let runs = 0;
    await expect(
      handleOnce(db, schema, 'c', event, async () => {
        runs += 1;
        throw new Error('fail');
      }),
    ).rejects.toThrow('fail');
    expect(await handleOnce(db, schema, 'c', event, async () => void (runs += 1))).toBe(true);
    expect(await handleOnce(db, schema, 'c', event, async () => void (runs += 1))).toBe(false);
    expect(await handleOnce(db, schema, 'other', event, async () => void (runs += 1))).toBe(true);
    expect(runs).toBe(3);
  });

  it('handleAllOnce runs each event not handled before once, in order, in one transaction that a throw undoes', async () => {
    const [a, b, c] = [testEvent(), testEvent(), testEvent()];
    expect(await handleOnce(db, schema, 'many', b, async () => undefined)).toBe(true);
    const seen: string[] = [];
    const failing = handleAllOnce(db, schema, 'many', [a, c], async (event, tx) => {
      await tx.query('select 1');
      seen.push(event.id);
      if (event.id === c.id) throw new Error('fail');
    });
    await expect(failing).rejects.toThrow('fail');
    // Nothing of the failed batch was recorded: both run again, b (handled before) does not, and a repeated id once.
    const ran = await handleAllOnce(db, schema, 'many', [a, b, c, a], async (event) => event.id);
    expect(ran).toEqual([a.id, c.id]);
    expect(seen).toEqual([a.id, c.id]);
    const { rows } = await db.query<{ id: string }>(`select event_id as id from ${schema}.processed_events where consumer = 'many' order by event_id`);
    expect(rows.map((r) => r.id)).toEqual([a.id, b.id, c.id].sort());
  });
});

describe('outbox on postgres, two relays', () => {
  it('publishes each event once and in seq order between them, never one relay overtaking the other', async () => {
    const db = await createTestDatabase('postgres');
    const bus = await createTestBus('jetstream');
    const second = createPostgresDatabase({ url: db.url ?? '', max: 2 });
    try {
      await migrate(db, { schema, sources: [busMigrations] });
      const events = Array.from({ length: 60 }, () => testEvent());
      await db.transaction(async (tx) => {
        for (const event of events) await appendToOutbox(tx, schema, event);
      });
      // One log of what reached the bus, in the order it did, whichever relay sent it.
      const order: string[] = [];
      const logging = (inner: EventBus): EventBus => ({
        ...inner,
        async publish(event) {
          await inner.publish(event);
          order.push(event.id);
        },
      });
      const relayA = createOutboxRelay({ db, schema, bus: logging(bus), batchSize: 10 });
      const relayB = createOutboxRelay({ db: second, schema, bus: logging(bus), batchSize: 10 });
      await Promise.all([relayA.drain(), relayB.drain(), relayA.drain(), relayB.drain()]);
      await Promise.all([relayA.drain(), relayB.drain()]);
      expect(order).toEqual(events.map((e) => e.id));
      expect(await pending(db)).toEqual([]);
    } finally {
      await second.close();
      await Promise.all([db.close(), bus.close()]);
    }
  });
});

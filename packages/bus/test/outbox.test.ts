import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ManualClock } from '@realchat/clock';
import type { EventEnvelope } from '@realchat/contracts';
import { createPostgresDatabase, migrate, type Database } from '@realchat/db';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@realchat/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendToOutbox, busMigrations, createOutboxRelay, handleOnce, type EventBus } from '../src/index.js';
import { createTestBus, testNatsUrl, type TestBus } from '../src/testing.js';
import { eventually, testEvent } from './helpers.js';

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
});

describe('outbox on postgres, two relays', () => {
  it('publishes each event once between them', async () => {
    const db = await createTestDatabase('postgres');
    const bus = await createTestBus('jetstream');
    const second = createPostgresDatabase({ url: db.url ?? '', max: 2 });
    try {
      await migrate(db, { schema, sources: [busMigrations] });
      const events = Array.from({ length: 60 }, () => testEvent());
      await db.transaction(async (tx) => {
        for (const event of events) await appendToOutbox(tx, schema, event);
      });
      const busA = switchableBus(bus);
      const busB = switchableBus(bus);
      const relayA = createOutboxRelay({ db, schema, bus: busA, batchSize: 10 });
      const relayB = createOutboxRelay({ db: second, schema, bus: busB, batchSize: 10 });
      const [a, b] = await Promise.all([relayA.drain(), relayB.drain()]);
      expect(a + b).toBe(60);
      expect([...busA.published, ...busB.published].sort()).toEqual(events.map((e) => e.id).sort());
      expect(await pending(db)).toEqual([]);
    } finally {
      await second.close();
      await Promise.all([db.close(), bus.close()]);
    }
  });
});

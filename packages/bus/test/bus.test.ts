import type { EventEnvelope } from '@realchat/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../src/index.js';
import { createTestBus, testBusKinds, type TestBus } from '../src/testing.js';
import { deferred, eventually, settle, testEvent } from './helpers.js';

describe.each(testBusKinds)('event bus: %s', (kind) => {
  let bus: TestBus;
  beforeEach(async () => {
    bus = await createTestBus(kind, { retryDelayMs: 30, maxDeliver: 3, maxAttempts: 3 });
  });
  afterEach(async () => {
    await bus.close();
  });

  it('answers ping', async () => {
    await expect(bus.ping()).resolves.toBeUndefined();
  });

  it('delivers a published event to a durable subscriber of its type only', async () => {
    const got: EventEnvelope[] = [];
    const other: EventEnvelope[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'svc_a', handler: async (e) => void got.push(e) });
    await bus.subscribe({ types: ['test.other'], durable: 'svc_b', handler: async (e) => void other.push(e) });
    const event = testEvent('test.happened', { hello: 'world' });
    await bus.publish(event);
    await eventually(() => expect(got).toEqual([event]));
    await settle(100);
    expect(other).toEqual([]);
  });

  it('delivers several types to one subscription, in order', async () => {
    const got: string[] = [];
    await bus.subscribe({ types: ['test.happened', 'test.other'], durable: 'svc', handler: async (e) => void got.push(e.type) });
    await bus.publish(testEvent('test.happened'));
    await bus.publish(testEvent('test.ignored'));
    await bus.publish(testEvent('test.other'));
    await eventually(() => expect(got).toEqual(['test.happened', 'test.other']));
    await settle(100);
    expect(got).toHaveLength(2);
  });

  it('de-duplicates by event id', async () => {
    const durable: string[] = [];
    const broadcast: string[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'svc', handler: async (e) => void durable.push(e.id) });
    await bus.subscribe({ types: ['test.happened'], handler: async (e) => void broadcast.push(e.id) });
    const event = testEvent();
    await bus.publish(event);
    await bus.publish(event);
    await bus.publish({ ...event });
    const later = testEvent();
    await bus.publish(later);
    await eventually(() => expect(durable).toEqual([event.id, later.id]));
    await eventually(() => expect(broadcast).toEqual([event.id, later.id]));
    await settle(200);
    expect(durable).toHaveLength(2);
  });

  it('shares a durable subscription: each event is handled once across instances', async () => {
    const other = await bus.connectAnother();
    const handled: string[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'workers', handler: async (e) => void handled.push(e.id) });
    await other.subscribe({ types: ['test.happened'], durable: 'workers', handler: async (e) => void handled.push(e.id) });
    const events = Array.from({ length: 10 }, () => testEvent());
    for (const event of events) await bus.publish(event);
    await eventually(() => expect([...handled].sort()).toEqual(events.map((e) => e.id).sort()));
    await settle(200);
    expect(handled).toHaveLength(10);
  });

  it('redelivers to a durable subscriber whose handler throws, until it resolves', async () => {
    let calls = 0;
    const done: string[] = [];
    await bus.subscribe({
      types: ['test.happened'],
      durable: 'flaky',
      handler: async (e) => {
        calls += 1;
        if (calls < 3) throw new Error(`failure ${calls}`);
        done.push(e.id);
      },
    });
    const event = testEvent();
    await bus.publish(event);
    await eventually(() => expect(done).toEqual([event.id]));
    expect(calls).toBe(3);
  });

  it('gives up after the bounded number of attempts', async () => {
    let calls = 0;
    await bus.subscribe({
      types: ['test.happened'],
      durable: 'broken',
      handler: async () => {
        calls += 1;
        throw new Error('always');
      },
    });
    await bus.publish(testEvent());
    await eventually(() => expect(calls).toBe(3));
    await settle(400);
    expect(calls).toBe(3);
  });

  it('broadcasts every event to every broadcast subscriber, and stops after unsubscribe', async () => {
    const one: string[] = [];
    const two: string[] = [];
    const other = await bus.connectAnother();
    const first = await bus.subscribe({ types: ['test.happened'], handler: async (e) => void one.push(e.id) });
    await other.subscribe({ types: ['test.happened'], handler: async (e) => void two.push(e.id) });
    const event = testEvent();
    await bus.publish(event);
    await eventually(() => {
      expect(one).toEqual([event.id]);
      expect(two).toEqual([event.id]);
    });
    await first.unsubscribe();
    const next = testEvent();
    await bus.publish(next);
    await eventually(() => expect(two).toEqual([event.id, next.id]));
    await settle(100);
    expect(one).toEqual([event.id]);
  });

  it('keeps a broadcast subscriber going when its handler throws', async () => {
    const got: string[] = [];
    await bus.subscribe({
      types: ['test.happened'],
      handler: async (e) => {
        got.push(e.id);
        if (got.length === 1) throw new Error('first fails');
      },
    });
    await bus.publish(testEvent());
    await bus.publish(testEvent());
    await eventually(() => expect(got).toHaveLength(2));
  });

  it('replays events published since a given instant to a broadcast subscriber', async () => {
    const before = testEvent();
    await bus.publish(before);
    await settle(50);
    const since = new Date();
    await settle(50);
    const missed = testEvent();
    await bus.publish(missed);

    const caughtUp: string[] = [];
    const liveOnly: string[] = [];
    await bus.subscribe({ types: ['test.happened'], since, handler: async (e) => void caughtUp.push(e.id) });
    await bus.subscribe({ types: ['test.happened'], handler: async (e) => void liveOnly.push(e.id) });
    const after = testEvent();
    await bus.publish(after);
    await eventually(() => expect(caughtUp).toEqual([missed.id, after.id]));
    await eventually(() => expect(liveOnly).toEqual([after.id]));
  });

  it('resolves a subscription with since once the events published before it are handled', async () => {
    const since = new Date();
    await settle(20);
    const missed = Array.from({ length: 30 }, (_, i) => testEvent(i % 2 === 0 ? 'test.happened' : 'test.other', { n: i }));
    for (const event of missed) await bus.publish(event);
    // Newer than every event of the subscribed types: nothing to wait for on its account.
    await bus.publish(testEvent('test.ignored'));
    const handled: string[] = [];
    await bus.subscribe({
      types: ['test.happened', 'test.other'],
      since,
      handler: async (e) => {
        await settle(2);
        handled.push(e.id);
      },
    });
    expect(handled).toEqual(missed.map((e) => e.id));
  });

  it('resolves a subscription with since at once when no event of its types is that recent', async () => {
    await bus.publish(testEvent());
    await settle(20);
    const since = new Date();
    await bus.publish(testEvent('test.ignored'));
    const handled: string[] = [];
    const started = Date.now();
    await bus.subscribe({ types: ['test.happened'], since, handler: async (e) => void handled.push(e.id) });
    expect(Date.now() - started).toBeLessThan(2000);
    const live = testEvent();
    await bus.publish(live);
    await eventually(() => expect(handled).toEqual([live.id]));
  });

  it('keeps the position of a durable subscription across unsubscribe and resubscribe', async () => {
    const first: string[] = [];
    const sub = await bus.subscribe({ types: ['test.happened'], durable: 'resume', handler: async (e) => void first.push(e.id) });
    const a = testEvent();
    await bus.publish(a);
    await eventually(() => expect(first).toEqual([a.id]));
    await sub.unsubscribe();
    const b = testEvent();
    await bus.publish(b);
    const second: string[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'resume', handler: async (e) => void second.push(e.id) });
    await eventually(() => expect(second).toEqual([b.id]));
  });

  it('delivers to a new durable subscription what was published before it first subscribed', async () => {
    // A relay may publish pending outbox rows before the consuming service has subscribed.
    const early = testEvent();
    await bus.publish(early);
    await bus.publish(testEvent('test.other'));
    const got: string[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'late_starter', handler: async (e) => void got.push(e.id) });
    const later = testEvent();
    await bus.publish(later);
    await eventually(() => expect(got).toEqual([early.id, later.id]));
  });

  it('refuses an event over MAX_EVENT_BYTES as PAYLOAD_TOO_LARGE, on either bus', async () => {
    expect(MAX_EVENT_BYTES).toBeLessThan(1024 * 1024);
    const got: string[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'sizes', handler: async (e) => void got.push(e.id) });
    await expect(bus.publish(testEvent('test.happened', { blob: 'x'.repeat(MAX_EVENT_BYTES) }))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const fits = testEvent('test.happened', { blob: 'x'.repeat(MAX_EVENT_BYTES - 1000) });
    await bus.publish(fits);
    await eventually(() => expect(got).toEqual([fits.id]));
  });

  it('handles each event once when a handler runs longer than the ack wait', async () => {
    // Regression: with 64 messages prefetched and no working(), the server redelivered the running
    // and the waiting ones after ack_wait.
    const slow = await createTestBus(kind, { ackWaitMs: 500, maxDeliver: 5 });
    try {
      const calls: string[] = [];
      await slow.subscribe({
        types: ['test.happened'],
        durable: 'slow',
        handler: async (e) => {
          calls.push(e.id);
          await settle(800);
        },
      });
      const events = [testEvent(), testEvent(), testEvent()];
      for (const event of events) await slow.publish(event);
      await eventually(() => expect(calls).toHaveLength(3), 8000);
      await settle(1200);
      expect(calls).toEqual(events.map((e) => e.id));
    } finally {
      await slow.close();
    }
  }, 15_000);

  it('hands the events it holds back at once when a durable subscription stops, each handled once', async () => {
    // The JetStream subscriber pulls all 20 in one batch; unsubscribing after 3 must not leave the
    // other 17 to wait out the ack wait (30 s here) or lose any.
    const events = Array.from({ length: 20 }, () => testEvent());
    for (const event of events) await bus.publish(event);
    const handled: string[] = [];
    const third = deferred();
    const first = await bus.subscribe({
      types: ['test.happened'],
      durable: 'handoff',
      handler: async (e) => {
        await settle(20);
        handled.push(e.id);
        if (handled.length === 3) third.resolve();
      },
    });
    await third.promise;
    await first.unsubscribe();
    const byFirst = handled.length;
    expect(byFirst).toBeGreaterThanOrEqual(3);
    expect(byFirst).toBeLessThan(20);
    await bus.subscribe({ types: ['test.happened'], durable: 'handoff', handler: async (e) => void handled.push(e.id) });
    await eventually(() => expect(handled).toHaveLength(20), 3000);
    await settle(200);
    expect([...handled].sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('refuses to publish an invalid envelope', async () => {
    await expect(bus.publish({ ...testEvent(), id: 'not-a-uuid' })).rejects.toThrow(/invalid event envelope/);
  });
});

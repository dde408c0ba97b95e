import { ManualClock } from '@realchat/clock';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createInProcessBus, type EventBus } from '../src/index.js';
import { eventually, settle, testEvent } from './helpers.js';

describe('in-process bus bounds', () => {
  it('forgets event ids after the de-duplication window', async () => {
    const clock = new ManualClock();
    const bus = createInProcessBus({ clock, duplicateWindowMs: 60_000 });
    const got: string[] = [];
    await bus.subscribe({ types: ['test.happened'], handler: async (e) => void got.push(e.id) });
    const event = testEvent();
    await bus.publish(event);
    clock.advance(59_000);
    await bus.publish(event);
    clock.advance(2_000);
    await bus.publish(event);
    await eventually(() => expect(got).toEqual([event.id, event.id]));
    await bus.close();
  });

  it('replays only the retained most recent events to a late subscriber', async () => {
    const clock = new ManualClock();
    const bus = createInProcessBus({ clock, retention: 2 });
    const since = clock.now();
    const events = [testEvent(), testEvent(), testEvent()];
    for (const event of events) await bus.publish(event);
    const got: string[] = [];
    await bus.subscribe({ types: ['test.happened'], since, handler: async (e) => void got.push(e.id) });
    await eventually(() => expect(got).toEqual([events[1]?.id, events[2]?.id]));
    await bus.close();
  });

  it('hands each subscriber its own copy of the event', async () => {
    const bus = createInProcessBus();
    const seen: unknown[] = [];
    await bus.subscribe({
      types: ['test.happened'],
      handler: async (e) => {
        (e.data as { n: number }).n = 99;
      },
    });
    await bus.subscribe({ types: ['test.happened'], handler: async (e) => void seen.push(e.data) });
    await bus.publish(testEvent('test.happened', { n: 1 }));
    await settle(20);
    expect(seen).toEqual([{ n: 1 }]);
    await bus.close();
  });

  it('close() still handles an event waiting in backoff', async () => {
    // Regression: close() cleared the redelivery timers, losing every event in backoff.
    const clock = new ManualClock();
    const bus = createInProcessBus({ clock, retryDelayMs: 150 });
    let calls = 0;
    const done: string[] = [];
    await bus.subscribe({
      types: ['test.happened'],
      durable: 'flaky',
      handler: async (e) => {
        calls += 1;
        if (calls === 1) throw new Error('transient');
        done.push(e.id);
      },
    });
    const event = testEvent();
    await bus.publish(event);
    await clock.advanceAsync(0);
    expect(calls).toBe(1);
    const closed = track(bus.close());
    await clock.advanceAsync(149);
    expect(closed.done).toBe(false);
    await clock.advanceAsync(1);
    expect(closed.done).toBe(true);
    expect(done).toEqual([event.id]);
  });

  it('redelivers with backoff doubling from retryDelayMs, up to maxAttempts', async () => {
    const clock = new ManualClock();
    const bus = createInProcessBus({ clock, retryDelayMs: 100, maxAttempts: 4 });
    const start = clock.now().getTime();
    const deliveredAt: number[] = [];
    await bus.subscribe({
      types: ['test.happened'],
      durable: 'broken',
      handler: async () => {
        deliveredAt.push(clock.now().getTime() - start);
        throw new Error('always');
      },
    });
    await bus.publish(testEvent());
    await clock.advanceAsync(10_000);
    expect(deliveredAt).toEqual([0, 100, 300, 700]);
    await bus.close();
  });

  it('close() waits for queued deliveries and running handlers', async () => {
    const bus = createInProcessBus();
    const done: string[] = [];
    await bus.subscribe({
      types: ['test.happened'],
      durable: 'slow',
      handler: async (e) => {
        await settle(50);
        done.push(e.id);
      },
    });
    const events = [testEvent(), testEvent(), testEvent()];
    for (const event of events) await bus.publish(event);
    await bus.close();
    expect(done).toEqual(events.map((e) => e.id));
  });

  /** A durable 'failing' on `bus` whose n-th delivery runs `attempt(n)`; returns a live call count. */
  async function failingDurable(bus: EventBus, attempt: (n: number) => Promise<void>): Promise<{ calls: number }> {
    const count = { calls: 0 };
    await bus.subscribe({ types: ['test.happened'], durable: 'failing', handler: async () => attempt(++count.calls) });
    return count;
  }

  it('close() gives up at closeTimeoutMs on a handler that never finishes', async () => {
    const clock = new ManualClock();
    const bus = createInProcessBus({ clock, retryDelayMs: 50, closeTimeoutMs: 200 });
    // The redelivery is due before the deadline, so close() waits for it; that attempt hangs.
    const count = await failingDurable(bus, (n) => (n === 1 ? Promise.reject(new Error('transient')) : new Promise<void>(() => undefined)));
    await bus.publish(testEvent());
    await clock.advanceAsync(0);
    expect(count.calls).toBe(1);
    const closed = track(bus.close());
    await clock.advanceAsync(50);
    expect(count.calls).toBe(2);
    await clock.advanceAsync(149);
    expect(closed.done).toBe(false);
    await clock.advanceAsync(1);
    expect(closed.done).toBe(true);
  });

  it('close() does not wait for a redelivery due after its deadline, and logs the event it drops', async () => {
    const lines: { msg: string; eventId?: string }[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const clock = new ManualClock();
    const bus = createInProcessBus({ clock, logger, retryDelayMs: 60_000, closeTimeoutMs: 5_000 });
    const count = await failingDurable(bus, () => Promise.reject(new Error('transient')));
    const event = testEvent();
    await bus.publish(event);
    await clock.advanceAsync(0);
    expect(count.calls).toBe(1);
    // Done without time moving at all.
    const closed = track(bus.close());
    await clock.advanceAsync(0);
    expect(closed.done).toBe(true);
    expect(count.calls).toBe(1);
    expect(lines).toContainEqual(expect.objectContaining({ eventId: event.id, msg: expect.stringMatching(/not handled/) }));
  });

  it('refuses to publish once closed', async () => {
    const bus = createInProcessBus();
    await bus.close();
    await expect(bus.publish(testEvent())).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(bus.ping()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});

/** Whether `promise` has settled yet, readable at any time. */
function track(promise: Promise<unknown>): { done: boolean } {
  const state = { done: false };
  void promise.finally(() => (state.done = true));
  return state;
}

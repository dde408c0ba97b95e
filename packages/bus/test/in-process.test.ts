import { ManualClock } from '@realchat/clock';
import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../src/index.js';
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

  it('refuses to publish once closed', async () => {
    const bus = createInProcessBus();
    await bus.close();
    await expect(bus.publish(testEvent())).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(bus.ping()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });
});

import { randomBytes } from 'node:crypto';
import { createTcpProxy } from '@realchat/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessLiveChannel, createNatsLiveChannel, type LiveChannel } from '../src/index.js';
import { testNatsUrl } from '../src/testing.js';
import { eventually, settle } from './helpers.js';

const kinds = ['in-process', 'nats'] as const;

describe.each(kinds)('live channel (%s)', (kind) => {
  const opened: LiveChannel[] = [];
  const prefix = `rc_live_${randomBytes(4).toString('hex')}`;
  let shared: LiveChannel | undefined;
  /** A channel as another instance would hold it: its own NATS connection, or the one process channel. */
  async function open(): Promise<LiveChannel> {
    if (kind === 'in-process') return (shared ??= createInProcessLiveChannel());
    const channel = await createNatsLiveChannel({ servers: testNatsUrl(), subjectPrefix: prefix });
    opened.push(channel);
    return channel;
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
    await shared?.close();
    shared = undefined;
  });

  it('delivers what one connection publishes to the subscribers of another, and stops at unsubscribe', async () => {
    const [a, b] = [await open(), await open()];
    const got: string[] = [];
    const other: string[] = [];
    const stop = b.subscribe('chat.frames', (p) => got.push(p));
    b.subscribe('chat.other', (p) => other.push(p));
    // A throwing handler neither stops the others nor reaches the publisher.
    b.subscribe('chat.frames', () => {
      throw new Error('boom');
    });
    if (kind === 'nats') await settle(100);
    a.publish('chat.frames', '{"n":1}');
    a.publish('chat.frames', '{"n":2}');
    await eventually(() => expect(got).toEqual(['{"n":1}', '{"n":2}']));
    expect(other).toEqual([]);
    stop();
    a.publish('chat.frames', '{"n":3}');
    await settle(100);
    expect(got).toHaveLength(2);
    expect(a.stats().published).toBeGreaterThanOrEqual(3);
  });

  it('never throws at publish: a bad subject or a closed channel is dropped and counted', async () => {
    const a = await open();
    expect(() => a.publish('bad subject!', 'x')).not.toThrow();
    expect(() => a.subscribe('bad subject!', () => undefined)).toThrow(TypeError);
    await a.close();
    expect(() => a.publish('chat.frames', 'x')).not.toThrow();
    expect(a.stats().dropped).toBe(2);
  });
});

describe('live channel on NATS, server unreachable', () => {
  it('drops publishes while NATS is down without throwing, and delivers again once it is back', async () => {
    const target = new URL(testNatsUrl());
    const proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 4222) });
    const prefix = `rc_live_${randomBytes(4).toString('hex')}`;
    const cut = await createNatsLiveChannel({ servers: `127.0.0.1:${proxy.port}`, subjectPrefix: prefix, reconnectTimeWaitMs: 50 });
    const direct = await createNatsLiveChannel({ servers: testNatsUrl(), subjectPrefix: prefix });
    try {
      const got: string[] = [];
      direct.subscribe('x', (p) => got.push(p));
      await settle(100);
      await proxy.stop();
      await eventually(() => {
        cut.publish('x', 'lost');
        expect(cut.stats().dropped).toBeGreaterThan(0);
      });
      const started = Date.now();
      for (let i = 0; i < 1000; i++) cut.publish('x', 'while down');
      expect(Date.now() - started).toBeLessThan(500);
      await proxy.start();
      await eventually(() => {
        cut.publish('x', 'back');
        expect(got).toContain('back');
      });
      // Dropped, not buffered: a late frame would arrive after the client resumed past it.
      expect(got).not.toContain('while down');
    } finally {
      await cut.close();
      await direct.close();
      await proxy.close();
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { AppError } from '@realchat/errors';
import { createTcpProxy } from '@realchat/db/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createJetStreamBus, type EventBus, type JetStreamBusOptions } from '../src/index.js';
import { testNatsUrl } from '../src/testing.js';
import { deferred, eventually, settle, testEvent } from './helpers.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A nats-server of its own without JetStream, with its monitoring port; undefined when the binary is missing. */
async function startPlainNats(): Promise<{ url: string; connections(): Promise<number>; stop(): Promise<void> } | undefined> {
  const [port, http] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-m', String(http)], { stdio: 'ignore' });
  const failed = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(true));
    child.once('spawn', () => resolve(false));
  });
  if (failed) return undefined;
  const connections = async (): Promise<number> => ((await (await fetch(`http://127.0.0.1:${http}/varz`)).json()) as { connections: number }).connections;
  await eventually(() => connections().then(() => undefined), 5000);
  return {
    url: `nats://127.0.0.1:${port}`,
    connections,
    async stop() {
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

const target = new URL(testNatsUrl());

describe('JetStream bus specifics', () => {
  const suffix = randomBytes(5).toString('hex');
  const stream = `RC_T_${suffix}`;
  const subjectPrefix = `rc_t_${suffix}`;
  const opened: EventBus[] = [];

  async function open(
    extra: Partial<Pick<JetStreamBusOptions, 'servers' | 'duplicateWindowMs' | 'reconnectTimeWaitMs' | 'timeoutMs' | 'ackWaitMs' | 'maxDeliver' | 'batchSize' | 'catchUpTimeoutMs' | 'logger'>> = {},
  ): Promise<EventBus> {
    const bus = await createJetStreamBus({ servers: testNatsUrl(), stream, subjectPrefix, retryDelayMs: 20, ...extra });
    opened.push(bus);
    return bus;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((bus) => bus.close()));
    const nc = await connect({ servers: testNatsUrl() });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('creates the stream once and updates it when another instance starts with other settings', async () => {
    await Promise.all([open(), open()]);
    await open({ duplicateWindowMs: 30_000 });
    const nc = await connect({ servers: testNatsUrl() });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(stream);
      expect(info.config.subjects).toEqual([`${subjectPrefix}.>`]);
      expect(info.config.duplicate_window).toBe(30_000 * 1_000_000);
    } finally {
      await nc.close();
    }
  });

  it('resolves a subscription with since after catchUpTimeoutMs when its replay is slow, and goes on with the replay', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const bus = await open({ catchUpTimeoutMs: 100, logger });
    const since = new Date();
    await settle(20);
    const missed = [testEvent(), testEvent()];
    for (const event of missed) await bus.publish(event);
    const gate = deferred();
    const handled: string[] = [];
    await bus.subscribe({
      types: ['test.happened'],
      since,
      handler: async (e) => {
        await gate.promise;
        handled.push(e.id);
      },
    });
    expect(handled).toEqual([]);
    expect(lines.map((l) => l['msg'])).toContain('broadcast replay not caught up yet; it goes on in the background');
    gate.resolve();
    await eventually(() => expect(handled).toEqual(missed.map((e) => e.id)));
  });

  it('drops an invalid message and keeps consuming', async () => {
    const bus = await open();
    const got: string[] = [];
    await bus.subscribe({ types: ['test.happened'], durable: 'strict', handler: async (e) => void got.push(e.id) });
    const nc = await connect({ servers: testNatsUrl() });
    try {
      const js = (await import('@nats-io/jetstream')).jetstream(nc);
      await js.publish(`${subjectPrefix}.test.happened`, 'not json');
      await js.publish(`${subjectPrefix}.test.happened`, JSON.stringify({ id: 'x', type: 'test.happened' }));
    } finally {
      await nc.close();
    }
    const valid = testEvent();
    await bus.publish(valid);
    await eventually(() => expect(got).toEqual([valid.id]));
  });

  it('fails fast with SERVICE_UNAVAILABLE when NATS cannot be reached', async () => {
    const err = await createJetStreamBus({ servers: 'nats://127.0.0.1:1', stream, subjectPrefix, timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('fails with SERVICE_UNAVAILABLE and closes its connection when JetStream is disabled', async (ctx) => {
    // Regression: jetstreamManager() ran outside the try that closes the connection, which then
    // reconnected forever and kept the process alive, and its error was not mapped.
    const server = await startPlainNats();
    if (server === undefined) return ctx.skip();
    try {
      const err = await createJetStreamBus({ servers: server.url, stream, subjectPrefix, timeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('SERVICE_UNAVAILABLE');
      await eventually(async () => expect(await server.connections()).toBe(0), 3000);
    } finally {
      await server.stop();
    }
  });

  it('moves a durable between one type and several and back, with one kind of filter at a time', async () => {
    const bus = await open();
    const types = async (list: string[]): Promise<string[]> => {
      const got: string[] = [];
      const sub = await bus.subscribe({ types: list, durable: 'switcher', handler: async (e) => void got.push(e.type) });
      const nc = await connect({ servers: testNatsUrl() });
      try {
        const { config } = await (await jetstreamManager(nc)).consumers.info(stream, 'switcher');
        // NATS >= 2.10 rejects a consumer with both keys set.
        expect(config.filter_subject !== undefined && config.filter_subject !== '' && (config.filter_subjects?.length ?? 0) > 0).toBe(false);
      } finally {
        await nc.close();
      }
      for (const type of ['test.a', 'test.b', 'test.c']) await bus.publish(testEvent(type));
      await eventually(() => expect(got).toHaveLength(list.length));
      await settle(150);
      await sub.unsubscribe();
      return got;
    };
    expect(await types(['test.a'])).toEqual(['test.a']);
    expect(await types(['test.a', 'test.b'])).toEqual(['test.a', 'test.b']);
    expect(await types(['test.c'])).toEqual(['test.c']);
    expect(await types(['test.b', 'test.c'])).toEqual(['test.b', 'test.c']);
  });

  it('reconnects by itself after an outage, and publish and ping fail meanwhile', async () => {
    const proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 4222) });
    try {
      const bus = await open({ servers: `nats://127.0.0.1:${proxy.port}`, reconnectTimeWaitMs: 50, timeoutMs: 300 });
      const got: string[] = [];
      await bus.subscribe({ types: ['test.happened'], durable: 'survivor', handler: async (e) => void got.push(e.id) });
      const before = testEvent();
      await bus.publish(before);
      await eventually(() => expect(got).toEqual([before.id]));

      await proxy.stop();
      const failure = await bus.publish(testEvent()).catch((e: unknown) => e);
      expect((failure as AppError).code).toBe('SERVICE_UNAVAILABLE');
      await expect(bus.ping()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

      await proxy.start();
      await eventually(() => bus.ping(), 5000);
      const after = testEvent();
      await bus.publish(after);
      await eventually(() => expect(got).toContain(after.id), 10_000);
    } finally {
      await proxy.close();
      // Closing while NATS is unreachable must not throw either.
      await opened.pop()?.close();
    }
  });

  /** 'done' if `promise` settles within `ms`, else 'hung'. */
  function within(promise: Promise<unknown>, ms: number): Promise<'done' | 'hung'> {
    return Promise.race([promise.then(() => 'done' as const), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms))]);
  }

  it('stops at once when unsubscribed right after subscribing, or from its own handler', async () => {
    // Regression: a stop that came while the durable loop awaited consumer.fetch() awaited
    // pull.close(), which nats.js resolves only once the pull is iterated: it never resolved.
    const bus = await open();
    const sub = await bus.subscribe({ types: ['test.happened'], durable: 'quick', handler: async () => undefined });
    expect(await within(sub.unsubscribe(), 2000)).toBe('done');

    const small = await open({ batchSize: 1 });
    for (let i = 0; i < 3; i++) await small.publish(testEvent());
    let stopped: Promise<void> | undefined;
    const self: { unsubscribe(): Promise<void> }[] = [];
    self.push(
      await small.subscribe({
        types: ['test.happened'],
        durable: 'self_stop',
        handler: async () => {
          if (stopped !== undefined) return;
          await Promise.resolve();
          stopped = self[0]?.unsubscribe();
        },
      }),
    );
    await eventually(() => expect(stopped).toBeDefined());
    expect(await within(stopped as Promise<void>, 2000)).toBe('done');
  });

  it('stops without waiting out the pause between failed pulls', async () => {
    // A durable that refuses pulls of more than one event (max_request_batch, kept by the update):
    // every pull fails at once, and the loop pauses 0.25, 0.5, 1 s... between them.
    const bus = await open();
    const nc = await connect({ servers: testNatsUrl() });
    try {
      await (await jetstreamManager(nc)).consumers.add(stream, {
        durable_name: 'refusing',
        ack_policy: AckPolicy.Explicit,
        filter_subject: `${subjectPrefix}.test.happened`,
        max_batch: 1,
      });
    } finally {
      await nc.close();
    }
    const sub = await bus.subscribe({ types: ['test.happened'], durable: 'refusing', handler: async () => undefined });
    // Pulls fail at 0, 0.25 and 0.75 s; the pause after the third lasts until 1.75 s.
    await settle(1100);
    const started = Date.now();
    await sub.unsubscribe();
    expect(Date.now() - started).toBeLessThan(300);
  });

  it('closes after an unsubscribe under way, whose handler still acks', async () => {
    // Regression: the subscription left the bus's set when its stop began, so close() drained the
    // connection under the running handler: its ack failed and the event was handled again.
    const bus = await open({ ackWaitMs: 1000 });
    const event = testEvent();
    await bus.publish(event);
    const handled: string[] = [];
    const gate = deferred();
    const sub = await bus.subscribe({
      types: ['test.happened'],
      durable: 'closing',
      handler: async (e) => {
        await gate.promise;
        handled.push(e.id);
      },
    });
    await settle(200);
    const unsubscribed = sub.unsubscribe();
    const closed = bus.close();
    setTimeout(gate.resolve, 200);
    await Promise.all([unsubscribed, closed]);
    const next = await open({ ackWaitMs: 1000 });
    await next.subscribe({ types: ['test.happened'], durable: 'closing', handler: async (e) => void handled.push(e.id) });
    await settle(2500);
    expect(handled).toEqual([event.id]);
  });

  it('never drops, unhandled and unlogged, an event it only held when a subscription stopped', async () => {
    // Each stop hands the held events back with a nak, which the server counts as a delivery: with
    // maxDeliver 2, an event held through two stops would never be delivered again, though no
    // handler saw it. The second stop handles it instead of handing it back.
    const bus = await open({ maxDeliver: 2 });
    const events = [testEvent(), testEvent(), testEvent()];
    for (const event of events) await bus.publish(event);
    const handled: string[] = [];
    for (let round = 0; round < 2; round++) {
      const gate = deferred();
      const busy = deferred();
      const sub = await bus.subscribe({
        types: ['test.happened'],
        durable: 'restarted',
        handler: async (e) => {
          busy.resolve();
          await gate.promise;
          handled.push(e.id);
        },
      });
      await busy.promise;
      await settle(100);
      const unsubscribed = sub.unsubscribe();
      gate.resolve();
      await unsubscribed;
    }
    expect([...handled].sort()).toEqual(events.map((e) => e.id).sort());
    await bus.subscribe({ types: ['test.happened'], durable: 'restarted', handler: async (e) => void handled.push(e.id) });
    await settle(300);
    expect(handled).toHaveLength(3);
  });

  it('hands the events waiting at once to batchHandler together, and each to handler alone when it throws', async () => {
    const bus = await open();
    let hold: Promise<void> | undefined;
    const batches: string[][] = [];
    const alone: string[] = [];
    await bus.subscribe({
      types: ['test.happened'],
      durable: 'batched',
      handler: async (event) => {
        const waiting = hold;
        hold = undefined;
        await waiting;
        alone.push(event.id);
      },
      batchHandler: async (events) => {
        batches.push(events.map((e) => e.id));
        if (batches.length === 1) throw new Error('one of them fails');
      },
    });
    const events = Array.from({ length: 7 }, () => testEvent());
    const ids = events.map((e) => e.id);
    // Each round: one event held in the handler while three (then two) arrive behind it.
    for (const [from, to, outcome] of [[0, 4, 'fails'], [4, 7, 'succeeds']] as const) {
      const gate = deferred();
      hold = gate.promise;
      await bus.publish(events[from]!);
      await eventually(() => expect(hold).toBeUndefined());
      for (const event of events.slice(from + 1, to)) await bus.publish(event);
      await settle(100);
      gate.resolve();
      if (outcome === 'fails') await eventually(() => expect(alone).toEqual(ids.slice(0, 4)));
      else await eventually(() => expect(batches).toHaveLength(2));
    }
    expect(batches).toEqual([ids.slice(1, 4), ids.slice(5, 7)]);
    await settle(100);
    expect(alone).toEqual(ids.slice(0, 5));
  });

  it('rejects names that are not valid for NATS', async () => {
    await expect(createJetStreamBus({ servers: testNatsUrl(), stream: 'a.b', subjectPrefix })).rejects.toThrow(/stream name/);
    await expect(createJetStreamBus({ servers: testNatsUrl(), stream, subjectPrefix: 'a.>' })).rejects.toThrow(/subject prefix/);
  });
});

/**
 * Event bus throughput on the local NATS JetStream server: publishing (each publish awaits the
 * server's ack) and a durable consumer acking each event, ours (@realchat/bus: envelope checked
 * on both sides, batches of 64 pulled per durable and handled one at a time, every waiting event
 * kept alive so that none waits out its ack_wait behind a slow handler) beside bare nats.js doing the same publishes and a durable pull consumer with
 * its default prefetch. Each side runs on a stream of its own, deleted afterwards.
 *
 *   npm run -w @realchat/bench bus            (BENCH_EVENTS: events per run, default 5000)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createInProcessBus, createJetStreamBus, type EventBus } from '@realchat/bus';
import { createEvent, type EventEnvelope } from '@realchat/contracts';
import { printEnvironment, printTable, reproduce, shuffle, writeResult, type Row } from './lib/report.js';

const COMMAND = 'npm run -w @realchat/bench bus';
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 5000);
if (!Number.isInteger(EVENTS) || EVENTS < 1) throw new Error(`BENCH_EVENTS must be a positive integer, not ${process.env['BENCH_EVENTS']}`);
const ROUNDS = 3;
const TYPE = 'session.revoked';

function events(count: number): EventEnvelope[] {
  const occurredAt = new Date();
  return Array.from({ length: count }, () =>
    createEvent(
      TYPE,
      { sessionId: randomUUID(), userId: randomUUID(), accessTokenExpiresAt: occurredAt.toISOString(), reason: 'logout' },
      { producer: 'bench', occurredAt },
    ),
  );
}

interface Names {
  readonly stream: string;
  readonly prefix: string;
}

function freshNames(): Names {
  const suffix = randomBytes(5).toString('hex');
  return { stream: `RC_BENCH_${suffix}`, prefix: `rc_bench_${suffix}` };
}

/** Resolves once `count` deliveries were counted; rejects if they stop coming for 10 s. */
function counter(count: number): { hit(): void; done: Promise<void> } {
  let seen = 0;
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let idle = setTimeout(() => reject(new Error(`stalled after ${seen} of ${count} events`)), 10_000);
  return {
    hit() {
      seen += 1;
      clearTimeout(idle);
      if (seen === count) resolve();
      else idle = setTimeout(() => reject(new Error(`stalled after ${seen} of ${count} events`)), 10_000);
    },
    done,
  };
}

interface Rates {
  readonly publishPerSec: number;
  readonly consumePerSec: number;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Ours: publish every event, then a new durable reads the backlog. */
async function ours(batch: readonly EventEnvelope[]): Promise<Rates> {
  const names = freshNames();
  const bus = await createJetStreamBus({ servers: NATS_URL, stream: names.stream, subjectPrefix: names.prefix });
  try {
    const publishMs = await timed(async () => {
      for (const event of batch) await bus.publish(event);
    });
    const seen = counter(batch.length);
    const consumeMs = await timed(async () => {
      const sub = await bus.subscribe({ types: [TYPE], durable: 'bench', handler: async () => seen.hit() });
      await seen.done;
      await sub.unsubscribe();
    });
    return { publishPerSec: (batch.length * 1000) / publishMs, consumePerSec: (batch.length * 1000) / consumeMs };
  } finally {
    await bus.close();
    await deleteStream(names.stream);
  }
}

/** The peer: bare nats.js, the same publishes and a durable pull consumer with default prefetch. */
async function bare(batch: readonly EventEnvelope[]): Promise<Rates> {
  const names = freshNames();
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: names.stream, subjects: [`${names.prefix}.>`] });
    const js = jetstream(nc);
    const subject = `${names.prefix}.${TYPE}`;
    const publishMs = await timed(async () => {
      for (const event of batch) await js.publish(subject, JSON.stringify(event), { msgID: event.id });
    });
    const seen = counter(batch.length);
    const consumeMs = await timed(async () => {
      await jsm.consumers.add(names.stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit, filter_subject: subject });
      const consumer = await js.consumers.get(names.stream, 'bench');
      const messages = await consumer.consume();
      const reading = (async () => {
        for await (const msg of messages) {
          msg.json();
          msg.ack();
          seen.hit();
        }
      })();
      // A stall rejects `seen.done` (and ends the run) instead of hanging here.
      await seen.done.finally(() => messages.close());
      await reading;
    });
    return { publishPerSec: (batch.length * 1000) / publishMs, consumePerSec: (batch.length * 1000) / consumeMs };
  } finally {
    await nc.close();
    await deleteStream(names.stream);
  }
}

/** The embedded mode's bus, for scale: no network, no server. */
async function inProcess(batch: readonly EventEnvelope[]): Promise<Rates> {
  const bus: EventBus = createInProcessBus();
  try {
    const seen = counter(batch.length);
    await bus.subscribe({ types: [TYPE], durable: 'bench', handler: async () => seen.hit() });
    const publishMs = await timed(async () => {
      for (const event of batch) await bus.publish(event);
    });
    await seen.done;
    return { publishPerSec: (batch.length * 1000) / publishMs, consumePerSec: Number.NaN };
  } finally {
    await bus.close();
  }
}

async function deleteStream(stream: string): Promise<void> {
  const nc: NatsConnection = await connect({ servers: NATS_URL });
  try {
    const jsm: JetStreamManager = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

function best(results: readonly Rates[]): Rates {
  return {
    publishPerSec: Math.max(...results.map((r) => r.publishPerSec)),
    consumePerSec: Math.max(...results.map((r) => r.consumePerSec)),
  };
}

async function main(): Promise<void> {
  printEnvironment();
  console.log(`bus: ${EVENTS} events per run, ${ROUNDS} rounds in random order (best counts), NATS at ${NATS_URL}`);
  const oursRuns: Rates[] = [];
  const bareRuns: Rates[] = [];
  const localRuns: Rates[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batch = events(EVENTS);
    // In a new order each round, like the other benchmarks: no side always runs after the same other.
    const runs: Array<() => Promise<void>> = [
      async () => void bareRuns.push(await bare(batch)),
      async () => void oursRuns.push(await ours(batch)),
      async () => void localRuns.push(await inProcess(batch)),
    ];
    shuffle(runs);
    for (const run of runs) await run();
  }
  const o = best(oursRuns);
  const b = best(bareRuns);
  const l = best(localRuns);
  const rows: Row[] = [
    { name: 'publish, bare nats.js (await each ack)', value: b.publishPerSec, unit: 'events/s', ratio: 1 },
    { name: 'publish, ours (JetStream bus)', value: o.publishPerSec, unit: 'events/s', ratio: o.publishPerSec / b.publishPerSec },
    { name: 'durable consume + ack, bare nats.js (prefetch)', value: b.consumePerSec, unit: 'events/s', ratio: 1 },
    {
      name: 'durable consume + ack, ours (batches of 64, one handler call at a time)',
      value: o.consumePerSec,
      unit: 'events/s',
      ratio: o.consumePerSec / b.consumePerSec,
    },
    { name: 'publish to a durable, in-process bus', value: l.publishPerSec, unit: 'events/s', note: 'embedded mode, for scale' },
  ];
  printTable('Event bus (ratio to bare nats.js doing the same)', rows);
  reproduce(COMMAND);
  writeResult('bus', { command: COMMAND, events: EVENTS, rows });
}

await main();

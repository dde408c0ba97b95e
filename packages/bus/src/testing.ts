import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createInProcessBus, type InProcessBusOptions } from './in-process.js';
import { createJetStreamBus, type JetStreamBusOptions } from './jetstream.js';
import type { EventBus } from './types.js';

/** Both buses, for `describe.each(testBusKinds)`. */
export const testBusKinds = ['in-process', 'jetstream'] as const;
export type TestBusKind = (typeof testBusKinds)[number];

/** A bus on its own stream and subject prefix; `close()` also deletes the stream. */
export interface TestBus extends EventBus {
  readonly kind: TestBusKind;
  /** The JetStream stream and subject prefix (undefined in process). */
  readonly stream: string | undefined;
  readonly subjectPrefix: string | undefined;
  /** Another client of the same bus, as a second service instance would have (closed by `close()`). */
  connectAnother(): Promise<EventBus>;
}

export type TestBusOptions = Omit<JetStreamBusOptions, 'servers' | 'stream' | 'subjectPrefix'> & Omit<InProcessBusOptions, 'logger'>;

/** The NATS server of the tests (`TEST_NATS_URL`, default nats://127.0.0.1:4222). */
export function testNatsUrl(): string {
  return process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
}

/** A fresh bus: in memory, or on a JetStream stream `RC_T_<random>` with subjects `rc_t_<random>.>`. */
export async function createTestBus(kind: TestBusKind, options: TestBusOptions = {}): Promise<TestBus> {
  if (kind === 'in-process') {
    const bus = createInProcessBus(options);
    // One process has one in-process bus: another "instance" shares it.
    const shared: EventBus = { ...bus, close: async () => undefined };
    return { ...bus, kind, stream: undefined, subjectPrefix: undefined, connectAnother: async () => shared };
  }
  const suffix = randomBytes(5).toString('hex');
  const settings: JetStreamBusOptions = { ...options, servers: testNatsUrl(), stream: `RC_T_${suffix}`, subjectPrefix: `rc_t_${suffix}` };
  const bus = await createJetStreamBus(settings);
  const others: EventBus[] = [];
  return {
    ...bus,
    kind,
    stream: settings.stream,
    subjectPrefix: settings.subjectPrefix,
    async connectAnother() {
      const other = await createJetStreamBus(settings);
      others.push(other);
      return other;
    },
    async close() {
      await Promise.all(others.map((other) => other.close()));
      await bus.close();
      const nc = await connect({ servers: testNatsUrl() });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.delete(settings.stream);
      } finally {
        await nc.close();
      }
    },
  };
}

import { parseEnvelope, type EventEnvelope } from '@realchat/contracts';
import { AppError } from '@realchat/errors';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { serialiseEvent } from './internal/event-size.js';
import { silentLogger } from './internal/logger.js';
import { connectNats } from './internal/nats-connect.js';
import { startDurableLoop } from './internal/durable-loop.js';
import { backoffDelay } from './internal/retry.js';
import type { BatchHandler, EventBus, EventHandler, SubscribeOptions, Subscription } from './types.js';

export interface JetStreamBusOptions {
  /** e.g. `nats://127.0.0.1:4222` or several. */
  readonly servers: string | readonly string[];
  /** Stream name, created or updated to hold `${subjectPrefix}.>`. */
  readonly stream: string;
  /** Subject prefix: an event of type `user.created` goes to `${subjectPrefix}.user.created`. */
  readonly subjectPrefix: string;
  readonly logger?: Logger;
  /** JetStream de-duplication window by message id (default 2 min). */
  readonly duplicateWindowMs?: number;
  /** How long the stream keeps events (default 7 days): bounds `since` and new durables' backlog. */
  readonly maxAgeMs?: number;
  /** Deliveries of one event to a durable consumer before it is dropped and logged (default 5). */
  readonly maxDeliver?: number;
  /** First redelivery delay after a handler throws, doubled per attempt up to 30 s (default 1 s). */
  readonly retryDelayMs?: number;
  /** How long the server waits for an ack before it redelivers (default 30 s); the subscriber keeps extending it for every event it holds. */
  readonly ackWaitMs?: number;
  /**
   * Events a durable subscriber pulls at once (default 64). They are handled one at a time, or
   * those waiting together by the subscription's `batchHandler`; those waiting are kept alive, and
   * handed back at once when the subscription stops (but for any at its last allowed delivery,
   * which is handled first).
   */
  readonly batchSize?: number;
  /**
   * How long a broadcast subscription with `since` waits for its replay to be handled before it
   * resolves anyway and lets the rest go on in the background (default 30 s).
   */
  readonly catchUpTimeoutMs?: number;
  /** How long `publish` and `ping` wait for the server (default 5 s). */
  readonly timeoutMs?: number;
  /** Pause between reconnection attempts (default 2 s). */
  readonly reconnectTimeWaitMs?: number;
  /** Connection name shown by the server. */
  readonly name?: string;
}

const STREAM_NAME = /^[A-Za-z0-9_-]+$/;
const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function unavailable(err: unknown, detail: string): AppError {
  return err instanceof AppError ? err : new AppError('SERVICE_UNAVAILABLE', detail, { cause: err });
}

/** True when the server can filter a consumer on several subjects (nats-server 2.10+). */
function supportsMultiFilter(nc: NatsConnection): boolean {
  const [major = 0, minor = 0] = (nc.info?.version ?? '0.0').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

async function ensureStream(jsm: JetStreamManager, options: JetStreamBusOptions): Promise<void> {
  const subject = `${options.subjectPrefix}.>`;
  const settings = {
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
    max_age: nanos(options.maxAgeMs ?? 7 * 24 * 3600_000),
  };
  const update = async (): Promise<void> => {
    const info = await jsm.streams.info(options.stream);
    const subjects = info.config.subjects?.includes(subject) ? info.config.subjects : [...(info.config.subjects ?? []), subject];
    await jsm.streams.update(options.stream, { ...settings, subjects });
  };
  try {
    await update();
  } catch {
    try {
      await jsm.streams.add({ name: options.stream, subjects: [subject], ...settings });
    } catch (err) {
      // Another instance created it meanwhile.
      await update().catch(() => {
        throw err;
      });
    }
  }
}

/**
 * The event bus of the distributed mode, on NATS JetStream. Each event is published to
 * `${subjectPrefix}.${type}` with its id as message id (the server drops duplicates within the
 * window). Durable subscriptions are durable pull consumers, pulled in batches and acked one by
 * one after the handler resolves; broadcast subscriptions are ordered consumers. Reconnects forever.
 */
export async function createJetStreamBus(options: JetStreamBusOptions): Promise<EventBus> {
  const logger = options.logger ?? silentLogger;
  if (!STREAM_NAME.test(options.stream)) throw new Error(`invalid stream name ${JSON.stringify(options.stream)}`);
  if (!SUBJECT_PREFIX.test(options.subjectPrefix)) throw new Error(`invalid subject prefix ${JSON.stringify(options.subjectPrefix)}`);
  const timeout = options.timeoutMs ?? 5000;
  const catchUpMs = options.catchUpTimeoutMs ?? 30_000;
  const maxDeliver = options.maxDeliver ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const batch = options.batchSize ?? 64;
  if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw new Error(`invalid batch size ${batch}: an integer from 1 to 1000`);
  const prefix = options.subjectPrefix;

  let nc: NatsConnection;
  try {
    nc = await connectNats(options);
  } catch (err) {
    throw unavailable(err, 'cannot connect to NATS');
  }
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') logger.warn({ status: status.type }, 'NATS connection status');
    }
  })();

  let jsm: JetStreamManager;
  try {
    // Checks the account: fails when JetStream is disabled. The connection would reconnect forever
    // and keep the process alive, so it is closed on any failure here.
    jsm = await jetstreamManager(nc, { timeout });
    await ensureStream(jsm, options);
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw unavailable(err, 'NATS JetStream is not available');
  }
  const js = jetstream(nc, { timeout });

  const multiFilter = supportsMultiFilter(nc);
  const active = new Set<{ stop(): Promise<void> }>();

  /** Server-side filter for `types`, and whether a subject must still be skipped client-side (old servers). */
  function filterFor(types: readonly string[]): { filter: Partial<ConsumerConfig>; wanted: (subject: string) => boolean } {
    const subjects = types.map((type) => `${prefix}.${type}`);
    const set = new Set(subjects);
    if (subjects.length === 1) return { filter: { filter_subject: subjects[0] as string }, wanted: () => true };
    if (multiFilter) return { filter: { filter_subjects: subjects }, wanted: () => true };
    return { filter: { filter_subject: `${prefix}.>` }, wanted: (subject) => set.has(subject) };
  }

  function decode(msg: JsMsg): EventEnvelope | undefined {
    try {
      return parseEnvelope(msg.json());
    } catch (err) {
      logger.error({ err, subject: msg.subject, seq: msg.seq }, 'invalid event on the bus; dropped');
      return undefined;
    }
  }

  function run(messages: ConsumerMessages, onMessage: (msg: JsMsg) => Promise<void>): { stop(): Promise<void> } {
    const loop = (async () => {
      for await (const msg of messages) await onMessage(msg);
    })().catch((err: unknown) => logger.error({ err }, 'event consumer stopped'));
    const handle = {
      async stop() {
        active.delete(handle);
        await messages.close();
        await loop;
      },
    };
    active.add(handle);
    return handle;
  }

  /**
   * Creates the durable, or updates the one that exists. `consumers.update` merges into the stored
   * config, so the filter key not in use is cleared explicitly: a consumer moving between one type
   * and several must not keep both `filter_subject` and `filter_subjects` (NATS >= 2.10 rejects it).
   * Servers before 2.10 accept a new filter but then deliver nothing (seen on 2.9.10): there, a
   * durable whose filter changes is recreated from where it was, as an update would keep it.
   */
  async function ensureConsumer(durable: string, config: Partial<ConsumerConfig>, filter: Partial<ConsumerConfig>): Promise<void> {
    let info: ConsumerInfo;
    try {
      info = await jsm.consumers.info(options.stream, durable);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
      try {
        await jsm.consumers.add(options.stream, config);
        return;
      } catch (addErr) {
        // Another instance created it meanwhile: update that one instead.
        info = await jsm.consumers.info(options.stream, durable).catch(() => {
          throw addErr;
        });
      }
    }
    const current = info.config;
    const sameFilter =
      (current.filter_subject ?? '') === (filter.filter_subject ?? '') &&
      (current.filter_subjects ?? []).join(' ') === (filter.filter_subjects ?? []).join(' ');
    if (!sameFilter && !multiFilter) {
      // Resume after the ack floor if some events were never acked; else after the last delivered
      // event, or after the stream's end when none of the old filter's events is pending: the
      // durable had read the whole stream (how far a 2.9 server scanned past other subjects is not
      // reported, so without this the resume point would depend on timing). The stream is read
      // first: what it held then is all either delivered or pending.
      const streamLast = (await jsm.streams.info(options.stream)).state.last_seq;
      info = await jsm.consumers.info(options.stream, durable);
      const after = info.num_ack_pending > 0 ? info.ack_floor.stream_seq : info.num_pending === 0 ? Math.max(streamLast, info.delivered.stream_seq) : info.delivered.stream_seq;
      logger.info({ durable, from: current.filter_subject, to: filter.filter_subject }, 'durable consumer filter changed; recreating it at its position');
      await jsm.consumers.delete(options.stream, durable);
      await jsm.consumers.add(options.stream, { ...config, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 });
      return;
    }
    await jsm.consumers.update(options.stream, durable, {
      ack_wait: config.ack_wait,
      max_deliver: maxDeliver,
      // undefined drops the key from the JSON sent, which the server reads as "no filter of this kind".
      filter_subject: undefined,
      filter_subjects: undefined,
      ...filter,
    } as Partial<ConsumerConfig>);
  }

  async function subscribeDurable(durable: string, types: readonly string[], handler: EventHandler, batchHandler: BatchHandler | undefined): Promise<Subscription> {
    if (!STREAM_NAME.test(durable)) throw new Error(`invalid durable name ${JSON.stringify(durable)}`);
    const { filter, wanted } = filterFor(types);
    const config: Partial<ConsumerConfig> = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      // A new service also gets what was published before its first start (consumers are idempotent).
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_deliver: maxDeliver,
      ...filter,
    };
    try {
      await ensureConsumer(durable, config, filter);
    } catch (err) {
      throw unavailable(err, `cannot create or update the durable consumer ${durable}`);
    }
    const consumer = await js.consumers.get(options.stream, durable);
    const loop = startDurableLoop(consumer, {
      batch,
      perCall: batchHandler === undefined ? 1 : batch,
      keepAliveMs: Math.max(100, Math.floor(ackWaitMs / 3)),
      maxDeliver,
      pullExpiresMs: 30_000,
      flush: () => nc.flush(),
      logger,
      handle: async (msgs) => {
        const events: Array<{ msg: JsMsg; event: EventEnvelope }> = [];
        for (const msg of msgs) {
          if (!wanted(msg.subject)) msg.ack();
          else {
            const event = decode(msg);
            if (event === undefined) msg.term('invalid event');
            else events.push({ msg, event });
          }
        }
        if (batchHandler !== undefined && events.length > 1) {
          try {
            await batchHandler(events.map((e) => e.event));
            for (const { msg } of events) msg.ack();
            return;
          } catch (err) {
            logger.debug({ err, durable, events: events.length }, 'batch handler failed; handling its events one by one');
          }
        }
        for (const { msg, event } of events) await handleOne(msg, event);
      },
    });
    async function handleOne(msg: JsMsg, event: EventEnvelope): Promise<void> {
      try {
        await handler(event);
        msg.ack();
      } catch (err) {
        // Read only here: parsing the delivery info is a measurable share of a fast handler.
        const attempt = msg.info.deliveryCount;
        if (attempt >= maxDeliver) {
          logger.error({ err, eventId: event.id, type: event.type, durable, attempt }, 'event dropped after its last delivery attempt');
          msg.term('handler failed on every attempt');
          return;
        }
        logger.warn({ err, eventId: event.id, type: event.type, durable, attempt }, 'event handler failed; will redeliver');
        msg.nak(backoffDelay(attempt, retryDelayMs, 30_000));
      }
    }
    // Left in `active` until stopped: close() then waits for an unsubscribe under way (the loop's
    // stop is shared) before it drains the connection under the handler's ack and the hand-back.
    const handle = {
      async stop() {
        await loop.stop();
        active.delete(handle);
      },
    };
    active.add(handle);
    return { unsubscribe: () => handle.stop() };
  }

  /** The stream sequence of the newest event of `types` published at or after `since` (0: none): where a replay from `since` is caught up. */
  async function newestSince(types: readonly string[], since: Date): Promise<number> {
    const newest = await Promise.all(types.map((type) => jsm.streams.getMessage(options.stream, { last_by_subj: `${prefix}.${type}` })));
    return Math.max(0, ...newest.flatMap((m) => (m !== null && m.time.getTime() >= since.getTime() ? [m.seq] : [])));
  }

  async function subscribeBroadcast(types: readonly string[], since: Date | undefined, handler: EventHandler): Promise<Subscription> {
    const { filter, wanted } = filterFor(types);
    const target = since === undefined ? 0 : await newestSince(types, since);
    const consumer = await js.consumers.get(options.stream, {
      filter_subjects: filter.filter_subjects ?? (filter.filter_subject as string),
      ...(since === undefined ? { deliver_policy: DeliverPolicy.New } : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: since.toISOString() }),
    });
    const messages = await consumer.consume();
    let caughtUp = (): void => undefined;
    const replayed = target === 0 ? Promise.resolve() : new Promise<void>((resolve) => (caughtUp = resolve));
    const handle = run(messages, async (msg) => {
      const event = wanted(msg.subject) ? decode(msg) : undefined;
      try {
        if (event !== undefined) await handler(event);
      } catch (err) {
        logger.error({ err, eventId: event?.id, type: event?.type }, 'broadcast event handler failed');
      }
      if (msg.seq >= target) caughtUp();
    });
    // The replay is handled before the subscription is: a verifier that starts must already refuse
    // what was revoked while it was down. Past the bound it goes on behind live traffic, logged.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, catchUpMs, 'late')));
    const outcome = await Promise.race([replayed, messages.closed(), bound]);
    clearTimeout(timer);
    if (outcome === 'late') logger.warn({ types, since, waitedMs: catchUpMs }, 'broadcast replay not caught up yet; it goes on in the background');
    return { unsubscribe: () => handle.stop() };
  }

  return {
    async publish(input: EventEnvelope): Promise<void> {
      const event = parseEnvelope(input);
      const payload = serialiseEvent(event);
      try {
        await js.publish(`${prefix}.${event.type}`, payload, { msgID: event.id, timeout });
      } catch (err) {
        // A server configured with a max_payload below MAX_EVENT_BYTES: retrying cannot help.
        if (err instanceof Error && /max_payload/i.test(err.message)) {
          throw new AppError('PAYLOAD_TOO_LARGE', `event ${event.type} ${event.id} is over the NATS server's max_payload`, { cause: err });
        }
        throw unavailable(err, 'cannot publish to NATS JetStream');
      }
    },

    async subscribe(opts: SubscribeOptions): Promise<Subscription> {
      if (opts.types.length === 0) throw new Error('subscribe needs at least one event type');
      return opts.durable === undefined ? subscribeBroadcast(opts.types, opts.since, opts.handler) : subscribeDurable(opts.durable, opts.types, opts.handler, opts.batchHandler);
    },

    async ping(): Promise<void> {
      if (nc.isClosed()) throw new AppError('SERVICE_UNAVAILABLE', 'the NATS connection is closed');
      try {
        await jsm.getAccountInfo();
      } catch (err) {
        throw unavailable(err, 'NATS JetStream does not answer');
      }
    },

    async close(): Promise<void> {
      if (nc.isClosed()) return;
      await Promise.allSettled([...active].map((handle) => handle.stop()));
      try {
        await nc.drain();
      } catch (err) {
        // Draining needs the server; while it is unreachable, just close.
        logger.warn({ err }, 'NATS drain failed; closing');
        await nc.close();
      }
    },
  };
}

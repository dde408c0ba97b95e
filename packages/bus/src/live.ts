import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/transport-node';
import { AppError } from '@realchat/errors';
import type { Logger } from 'pino';
import { silentLogger } from './internal/logger.js';
import { connectNats } from './internal/nats-connect.js';

/** Receives one live message; a throw is logged and dropped. */
export type LiveHandler = (payload: string) => void;

/** What a live channel has done, for a metric or a test. */
export interface LiveChannelStats {
  /** Messages handed to the transport. */
  readonly published: number;
  /** Messages dropped at publish because the transport was down. */
  readonly dropped: number;
}

/**
 * Fan-out between a service's instances: at most once, fast, not durable (plain NATS subjects when
 * distributed, in process when embedded). For traffic whose loss a client recovers from the
 * database (live chat frames), never for domain events: those go through the outbox and the bus.
 */
export interface LiveChannel {
  /** Sends `payload` to every subscriber of `subject` on every instance, this one included. Never throws or waits; dropped when the transport is down. */
  publish(subject: string, payload: string): void;
  /** Delivers what is published on `subject` from now on; returns the function that stops it. */
  subscribe(subject: string, handler: LiveHandler): () => void;
  stats(): LiveChannelStats;
  /** Closes what the channel opened; publishes after it are dropped. */
  close(): Promise<void>;
}

const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function checkSubject(subject: string): void {
  if (!SUBJECT.test(subject)) throw new TypeError(`invalid live subject ${JSON.stringify(subject)}`);
}

function safely(handler: LiveHandler, payload: string, logger: Logger): void {
  try {
    handler(payload);
  } catch (err) {
    logger.error({ err }, 'live handler failed; message dropped');
  }
}

/** The embedded live channel: subscribers in this process, each called on a later microtask. */
export function createInProcessLiveChannel(options: { readonly logger?: Logger } = {}): LiveChannel {
  const logger = options.logger ?? silentLogger;
  const subscribers = new Map<string, Set<LiveHandler>>();
  let published = 0;
  let dropped = 0;
  let closed = false;
  return {
    publish(subject, payload) {
      if (closed || !SUBJECT.test(subject)) {
        dropped++;
        return;
      }
      published++;
      const handlers = subscribers.get(subject);
      if (handlers === undefined) return;
      // A copy: a handler subscribing or unsubscribing does not change this delivery.
      const targets = [...handlers];
      queueMicrotask(() => {
        for (const handler of targets) safely(handler, payload, logger);
      });
    },
    subscribe(subject, handler) {
      checkSubject(subject);
      let set = subscribers.get(subject);
      if (set === undefined) subscribers.set(subject, (set = new Set()));
      // Each subscription its own entry, so the same function may subscribe twice.
      const entry: LiveHandler = (payload) => handler(payload);
      set.add(entry);
      return () => {
        set.delete(entry);
        if (set.size === 0 && subscribers.get(subject) === set) subscribers.delete(subject);
      };
    },
    stats: () => ({ published, dropped }),
    async close() {
      closed = true;
      subscribers.clear();
    },
  };
}

export interface NatsLiveChannelOptions {
  /** e.g. `nats://127.0.0.1:4222` or several. */
  readonly servers: string | readonly string[];
  /**
   * Prefix of every subject (`${subjectPrefix}.${subject}`). Keep it outside the JetStream
   * stream's subjects, or live traffic would be stored as events.
   */
  readonly subjectPrefix: string;
  readonly logger?: Logger;
  /** Connection name shown by the server. */
  readonly name?: string;
  /** How long the first connection may take (default 5 s). */
  readonly timeoutMs?: number;
  /** Pause between reconnection attempts (default 2 s). */
  readonly reconnectTimeWaitMs?: number;
}

/**
 * The distributed live channel, on NATS core subjects over a connection of its own (the bus's
 * JetStream connection keeps its flow control to itself). While the server is unreachable,
 * publishes are dropped and counted rather than buffered: a frame replayed late would arrive
 * after the client had resumed past it. Reconnects forever; subscriptions survive reconnections.
 */
export async function createNatsLiveChannel(options: NatsLiveChannelOptions): Promise<LiveChannel> {
  const logger = options.logger ?? silentLogger;
  if (!SUBJECT.test(options.subjectPrefix)) throw new TypeError(`invalid subject prefix ${JSON.stringify(options.subjectPrefix)}`);
  let nc: NatsConnection;
  try {
    nc = await connectNats(options);
  } catch (err) {
    throw new AppError('SERVICE_UNAVAILABLE', 'cannot connect to NATS', { cause: err });
  }
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') connected = false;
      else if (status.type === 'reconnect') connected = true;
      if (status.type === 'disconnect' || status.type === 'reconnect') logger.warn({ status: status.type }, 'NATS live connection status');
    }
  })();
  let published = 0;
  let dropped = 0;
  const subscriptions = new Set<NatsSubscription>();
  return {
    publish(subject, payload) {
      if (!connected || nc.isClosed() || !SUBJECT.test(subject)) {
        dropped++;
        return;
      }
      try {
        nc.publish(`${options.subjectPrefix}.${subject}`, payload);
        published++;
      } catch (err) {
        // Closed or draining meanwhile, or over the server's max_payload: at most once means drop.
        dropped++;
        logger.debug({ err, subject }, 'live publish dropped');
      }
    },
    subscribe(subject, handler) {
      checkSubject(subject);
      const sub = nc.subscribe(`${options.subjectPrefix}.${subject}`, {
        callback: (err, msg) => {
          if (err !== null) {
            logger.warn({ err, subject }, 'live subscription error');
            return;
          }
          safely(handler, msg.string(), logger);
        },
      });
      subscriptions.add(sub);
      return () => {
        if (!subscriptions.delete(sub)) return;
        try {
          sub.unsubscribe();
        } catch {
          // The connection is closed: nothing is delivered any more anyway.
        }
      };
    },
    stats: () => ({ published, dropped }),
    async close() {
      if (nc.isClosed()) return;
      subscriptions.clear();
      connected = false;
      try {
        await nc.drain();
      } catch {
        await nc.close();
      }
    },
  };
}

import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { backoffDelay } from './retry.js';

export interface DurableLoopOptions {
  /** Most events received and not yet handled at once. */
  readonly batch: number;
  /** How often every held event's ack_wait is extended (a third of ack_wait). */
  readonly keepAliveMs: number;
  /** How long one pull request waits at the server for events. */
  readonly pullExpiresMs: number;
  /** Handles one event and acks, naks or terms it. */
  readonly handle: (msg: JsMsg) => Promise<void>;
  /** Sends everything written so far to the server. */
  readonly flush: () => Promise<void>;
  readonly logger: Logger;
}

/** A one-shot wake-up: `wait` resolves at the next `notify`. */
class Signal {
  #resolve: (() => void) | undefined;
  wait(): Promise<void> {
    return new Promise((resolve) => (this.#resolve = resolve));
  }
  notify(): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }
}

/**
 * Pulls a durable consumer's events in batches and hands them to one handler call at a time.
 *
 * Every received event is in `held`, where a timer extends its ack_wait with `working()`:
 * prefetched events that wait behind a slow handler are neither redelivered nor charged an
 * attempt, which a plain prefetching `consume()` (whose buffer the caller cannot see) would do.
 * Pulls are explicit `fetch` requests, issued once most of the last batch is handled, so `held`
 * stays bounded. On stop the open pull is closed first (its inbox loses interest, so the server
 * drops the request instead of filling it), the running handler finishes, and the events still
 * held are handed back with a nak for the next puller, with no wait for their ack_wait (the
 * server counts that as a delivery, as it would the ack_wait's expiry).
 */
export function startDurableLoop(consumer: Consumer, options: DurableLoopOptions): { stop(): Promise<void> } {
  const { batch, logger } = options;
  const lowWater = Math.floor(batch / 4);
  const held: JsMsg[] = [];
  let current: JsMsg | undefined;
  let pull: ConsumerMessages | undefined;
  let stopping = false;
  const received = new Signal();
  const drained = new Signal();

  const keepAlive = setInterval(() => {
    try {
      current?.working();
      for (const msg of held) msg.working();
    } catch {
      // The connection is closed: the server redelivers after ack_wait.
    }
  }, options.keepAliveMs);

  const reader = (async () => {
    let failures = 0;
    while (!stopping) {
      while (held.length > lowWater && !stopping) await drained.wait();
      if (stopping) break;
      try {
        pull = await consumer.fetch({ max_messages: batch - held.length, expires: options.pullExpiresMs });
        // A stop that came while the request was being made found no pull to close.
        if (stopping) await pull.close();
        for await (const msg of pull) {
          held.push(msg);
          received.notify();
        }
        failures = 0;
      } catch (err) {
        if (stopping) break;
        // Connection lost, consumer deleted, heartbeats missed: pull again after a pause.
        failures++;
        logger.warn({ err, failures }, 'durable pull failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(failures, 250, 10_000)));
      } finally {
        pull = undefined;
      }
    }
  })();

  const worker = (async () => {
    while (!stopping) {
      const msg = held.shift();
      if (msg === undefined) {
        await received.wait();
        continue;
      }
      if (held.length <= lowWater) drained.notify();
      current = msg;
      try {
        await options.handle(msg);
      } catch (err) {
        logger.error({ err, seq: msg.seq }, 'durable event handling failed; the server redelivers it after ack_wait');
      }
      current = undefined;
    }
  })();

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      received.notify();
      drained.notify();
      await pull?.close();
      await Promise.all([reader, worker]);
      clearInterval(keepAlive);
      const unhandled = held.splice(0);
      for (const msg of unhandled) {
        try {
          // A 1 ms delay, not none: nats-server 2.9.10 mishandles a run of immediate naks (it
          // redelivered one event twice and held another until its ack_wait); delayed ones are exact.
          msg.nak(1);
        } catch {
          // The connection is closed: the server redelivers after ack_wait.
        }
      }
      if (unhandled.length > 0) await options.flush().catch(() => undefined);
    },
  };
}

import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { backoffDelay } from './retry.js';

export interface DurableLoopOptions {
  /** Most events received and not yet handled at once. */
  readonly batch: number;
  /** Most events per `handle` call (1: a stop waits for one event only). */
  readonly perCall: number;
  /** How often every held event's ack_wait is extended (a third of ack_wait). */
  readonly keepAliveMs: number;
  /** The consumer's max_deliver: an event at this delivery count is not handed back on stop. */
  readonly maxDeliver: number;
  /** How long one pull request waits at the server for events. */
  readonly pullExpiresMs: number;
  /** Handles the events waiting (in order, at most `batch`) and acks, naks or terms each. */
  readonly handle: (msgs: readonly JsMsg[]) => Promise<void>;
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
 * Pulls a durable consumer's events in batches and hands them to one handler call at a time,
 * with up to `perCall` of the events received while the previous call ran.
 *
 * Every received event is in `held`, where a timer extends its ack_wait with `working()`:
 * prefetched events that wait behind a slow handler are neither redelivered nor charged an
 * attempt, which a plain prefetching `consume()` (whose buffer the caller cannot see) would do.
 * Pulls are explicit `fetch` requests, issued once most of the last batch is handled, so `held`
 * stays bounded. On stop the open pull is closed first (its inbox loses interest, so the server
 * drops the request instead of filling it), the running handler finishes, and the events still
 * held are handed back with a nak for the next puller, with no wait for their ack_wait (the
 * server counts that as a delivery, as it would the ack_wait's expiry), except those at their last
 * delivery, which are handled before the stop ends.
 */
export function startDurableLoop(consumer: Consumer, options: DurableLoopOptions): { stop(): Promise<void> } {
  const { batch, logger } = options;
  const lowWater = Math.floor(batch / 4);
  const held: JsMsg[] = [];
  let current: readonly JsMsg[] = [];
  let pull: ConsumerMessages | undefined;
  let stopping = false;
  let stopped: Promise<void> | undefined;
  /** Ends the pause between failed pulls early, when the loop stops. */
  let wakeReader: (() => void) | undefined;
  const received = new Signal();
  const drained = new Signal();

  const keepAlive = setInterval(() => {
    // On a closed connection these are dropped, not thrown: the server redelivers after ack_wait.
    for (const msg of current) msg.working();
    for (const msg of held) msg.working();
  }, options.keepAliveMs);

  async function handleSome(msgs: readonly JsMsg[]): Promise<void> {
    current = msgs;
    try {
      await options.handle(msgs);
    } catch (err) {
      logger.error({ err, seqs: msgs.map((m) => m.seq) }, 'durable event handling failed; the server redelivers after ack_wait');
    }
    current = [];
  }

  const reader = (async () => {
    let failures = 0;
    while (!stopping) {
      while (held.length > lowWater && !stopping) await drained.wait();
      if (stopping) break;
      try {
        pull = await consumer.fetch({ max_messages: batch - held.length, expires: options.pullExpiresMs });
        if (stopping) {
          // A stop that came while the pull was being made found nothing to close. nats.js sends the
          // request only once the pull is iterated, and close() resolves only then: the pull is
          // closed (its inbox unsubscribed) without waiting, and never iterated, so nothing is asked.
          void pull.close();
          break;
        }
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
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoffDelay(failures, 250, 10_000));
          wakeReader = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeReader = undefined;
      } finally {
        pull = undefined;
      }
    }
  })();

  const worker = (async () => {
    while (!stopping) {
      if (held.length === 0) {
        await received.wait();
        continue;
      }
      const msgs = held.splice(0, options.perCall);
      if (held.length <= lowWater) drained.notify();
      await handleSome(msgs);
    }
  })();

  async function stopLoop(): Promise<void> {
    stopping = true;
    received.notify();
    drained.notify();
    wakeReader?.();
    await pull?.close();
    await Promise.all([reader, worker]);
    const unhandled = held.splice(0);
    // A nak counts as a delivery: an event already at its last one would never come back, dropped
    // unhandled and unlogged. Those are handled here before the stop ends; the others go back.
    const last = unhandled.filter((msg) => msg.info.deliveryCount >= options.maxDeliver);
    for (const msg of unhandled) {
      // A 1 ms delay, not none: nats-server 2.9.10 mishandles a run of immediate naks (it
      // redelivered one event twice and held another until its ack_wait); delayed ones are exact.
      if (!last.includes(msg)) msg.nak(1);
    }
    if (unhandled.length > last.length) await options.flush().catch(() => undefined);
    held.push(...last);
    if (held.length > 0) await handleSome(held.splice(0));
    clearInterval(keepAlive);
  }

  // Every caller, a second unsubscribe or the bus closing meanwhile, waits for the same stop.
  return { stop: () => (stopped ??= stopLoop()) };
}

import { parseEnvelope, type EventEnvelope } from '@realchat/contracts';
import { systemClock, type Clock, type TimerHandle } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import type { Logger } from 'pino';
import { silentLogger } from './internal/logger.js';
import { serialiseEvent } from './internal/event-size.js';
import { backoffDelay } from './internal/retry.js';
import type { EventBus, EventHandler, SubscribeOptions, Subscription } from './types.js';

export interface InProcessBusOptions {
  readonly logger?: Logger;
  /** Source of publish times (for `since` and de-duplication) and of the redelivery and close() timers (default: system clock). */
  readonly clock?: Clock;
  /** How many recent events are kept for `since` catch-up (default 10 000). */
  readonly retention?: number;
  /** Event ids remembered for de-duplication, by count (default 10 000) and age (default 2 min). */
  readonly duplicateWindow?: number;
  readonly duplicateWindowMs?: number;
  /** Deliveries of one event to a durable subscription before it is dropped and logged (default 5). */
  readonly maxAttempts?: number;
  /** First redelivery delay, doubled per attempt up to 30 s (default 100 ms). */
  readonly retryDelayMs?: number;
  /** How long `close()` waits for queued deliveries, running handlers and pending redeliveries (default 5 s). */
  readonly closeTimeoutMs?: number;
}

interface Member {
  readonly types: ReadonlySet<string>;
  readonly handler: EventHandler;
  /** Serialises deliveries to this subscriber, in publish order. */
  queue: Promise<void>;
}

interface DurableGroup {
  /** Every type this durable name was subscribed to: its position is kept for those. */
  readonly types: Set<string>;
  readonly members: Member[];
  next: number;
  /** Events waiting for a member while none is subscribed (bounded by `retention`). */
  readonly parked: { event: EventEnvelope; attempt: number }[];
}

interface Retained {
  readonly event: EventEnvelope;
  readonly at: number;
}

/**
 * The event bus of the embedded mode, in memory. Same semantics as JetStream within one process:
 * de-duplication by event id, durable subscriptions (one delivery per durable name, redelivered
 * with backoff while the handler throws; a new one starts from the retained events), broadcast subscriptions with `since` catch-up over
 * a bounded number of recent events.
 *
 * `close()` refuses new events, then drains: it waits, up to `closeTimeoutMs`, for queued
 * deliveries, running handlers and redeliveries in backoff, and logs at error level what it has to
 * drop (events still in backoff at the deadline, events parked for a durable nobody subscribes to).
 * A crash loses more, as everything here lives in memory: every event published but not yet
 * handled (queued, in backoff or parked) is gone, although its outbox row is already marked
 * published, and a restarted process has no retained events for `since` or new durables.
 */
export function createInProcessBus(options: InProcessBusOptions = {}): EventBus {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const retention = options.retention ?? 10_000;
  const dupCount = options.duplicateWindow ?? 10_000;
  const dupMs = options.duplicateWindowMs ?? 120_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5000;

  const recent: Retained[] = [];
  const seen = new Map<string, number>();
  const broadcast = new Set<Member>();
  const durables = new Map<string, DurableGroup>();
  /** Redeliveries waiting for their backoff delay. */
  const retries = new Map<TimerHandle, { readonly event: EventEnvelope; readonly durable: string; readonly dueAt: number }>();
  const inFlight = new Set<Promise<void>>();
  /** No new events or subscriptions; what is under way still runs (the drain of close()). */
  let closed = false;
  /** The drain is over: nothing more is delivered. */
  let stopped = false;
  let closing: Promise<void> | undefined;
  /** Wakes the drain of close() when work finishes or a redelivery fires. */
  let wakeDrain: (() => void) | undefined;

  function isDuplicate(id: string, now: number): boolean {
    // Map keeps insertion order: the oldest ids come first.
    for (const [oldId, at] of seen) {
      if (seen.size <= dupCount && now - at < dupMs) break;
      seen.delete(oldId);
    }
    if (seen.has(id)) return true;
    seen.set(id, now);
    return false;
  }

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => {
      inFlight.delete(work);
      wakeDrain?.();
    });
  }

  function lost(event: EventEnvelope, durable: string | undefined, why: string): void {
    logger.error({ eventId: event.id, type: event.type, durable }, `event not handled: ${why}`);
  }

  function enqueue(member: Member, run: () => Promise<void>): void {
    const work = member.queue.then(run);
    member.queue = work;
    track(work);
  }

  function deliverBroadcast(member: Member, event: EventEnvelope): void {
    enqueue(member, async () => {
      if (stopped) return lost(event, undefined, 'the bus closed before its turn');
      try {
        await member.handler(structuredClone(event));
      } catch (err) {
        // Broadcast has no redelivery, as with a JetStream ordered consumer.
        logger.error({ err, eventId: event.id, type: event.type }, 'broadcast event handler failed');
      }
    });
  }

  function deliverDurable(name: string, group: DurableGroup, event: EventEnvelope, attempt: number): void {
    const candidates = group.members.filter((m) => m.types.has(event.type));
    if (candidates.length === 0) {
      group.parked.push({ event, attempt });
      if (group.parked.length > retention) group.parked.shift();
      return;
    }
    const member = candidates[group.next++ % candidates.length] as Member;
    enqueue(member, async () => {
      if (stopped) return lost(event, name, 'the bus closed before its turn');
      try {
        await member.handler(structuredClone(event));
      } catch (err) {
        if (stopped) return lost(event, name, 'its handler failed after the bus closed');
        if (attempt >= maxAttempts) {
          logger.error({ err, eventId: event.id, type: event.type, durable: name, attempt }, 'event dropped after its last delivery attempt');
          return;
        }
        logger.warn({ err, eventId: event.id, type: event.type, durable: name, attempt }, 'event handler failed; will redeliver');
        const delay = backoffDelay(attempt, retryDelayMs, 30_000);
        const timer = clock.setTimeout(() => {
          retries.delete(timer);
          if (!stopped) deliverDurable(name, group, event, attempt + 1);
          wakeDrain?.();
        }, delay);
        retries.set(timer, { event, durable: name, dueAt: clock.now().getTime() + delay });
      }
    });
  }

  async function drainAndStop(): Promise<void> {
    closed = true;
    let timedOut = false;
    const deadlineAt = clock.now().getTime() + closeTimeoutMs;
    const deadline = clock.setTimeout(() => {
      timedOut = true;
      wakeDrain?.();
    }, closeTimeoutMs);
    // Waiting is pointless once nothing runs and every pending redelivery falls after the deadline.
    const worthWaiting = (): boolean => inFlight.size > 0 || [...retries.values()].some((r) => r.dueAt <= deadlineAt);
    while (!timedOut && worthWaiting()) {
      await new Promise<void>((resolve) => {
        wakeDrain = resolve;
      });
    }
    wakeDrain = undefined;
    deadline.clear();
    stopped = true;
    for (const [timer, { event, durable }] of retries) {
      timer.clear();
      lost(event, durable, 'the bus closed while it waited for redelivery');
    }
    retries.clear();
    for (const [name, group] of durables) for (const { event } of group.parked) lost(event, name, 'no subscriber of its durable before the bus closed');
    broadcast.clear();
    durables.clear();
    // Handlers still running past the deadline are not awaited: a hung one must not hang shutdown.
  }

  return {
    async publish(input: EventEnvelope): Promise<void> {
      if (closed) throw new AppError('SERVICE_UNAVAILABLE', 'the event bus is closed');
      const event = parseEnvelope(structuredClone(input));
      // The same limit as on JetStream, so an event too big in distributed mode fails here too.
      serialiseEvent(event);
      const now = clock.now().getTime();
      if (isDuplicate(event.id, now)) return;
      recent.push({ event, at: now });
      if (recent.length > retention) recent.shift();
      for (const member of broadcast) if (member.types.has(event.type)) deliverBroadcast(member, event);
      for (const [name, group] of durables) {
        if (group.types.has(event.type)) deliverDurable(name, group, event, 1);
      }
    },

    async subscribe(opts: SubscribeOptions): Promise<Subscription> {
      if (closed) throw new AppError('SERVICE_UNAVAILABLE', 'the event bus is closed');
      const member: Member = { types: new Set(opts.types), handler: opts.handler, queue: Promise.resolve() };
      const { durable } = opts;
      if (durable === undefined) {
        broadcast.add(member);
        if (opts.since !== undefined) {
          const since = opts.since.getTime();
          for (const { event, at } of recent) if (at >= since && member.types.has(event.type)) deliverBroadcast(member, event);
          await member.queue;
        }
        return {
          async unsubscribe() {
            broadcast.delete(member);
          },
        };
      }
      let group = durables.get(durable);
      const created = group === undefined;
      if (group === undefined) {
        group = { types: new Set(), members: [], next: 0, parked: [] };
        durables.set(durable, group);
      }
      group.members.push(member);
      for (const type of opts.types) group.types.add(type);
      // As on JetStream, a new durable starts from the retained events, not from now: a relay may
      // have published before the consuming service subscribed (consumers are idempotent).
      const parked = created ? recent.filter(({ event }) => member.types.has(event.type)).map(({ event }) => ({ event, attempt: 1 })) : [];
      // A durable keeps its position: hand over what arrived while nobody listened.
      parked.push(...group.parked.splice(0));
      for (const { event, attempt } of parked) deliverDurable(durable, group, event, attempt);
      const joined = group;
      return {
        async unsubscribe() {
          const index = joined.members.indexOf(member);
          if (index >= 0) joined.members.splice(index, 1);
        },
      };
    },

    async ping(): Promise<void> {
      if (closed) throw new AppError('SERVICE_UNAVAILABLE', 'the event bus is closed');
    },

    close(): Promise<void> {
      closing ??= drainAndStop();
      return closing;
    },
  };
}

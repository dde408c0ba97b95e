import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '@realchat/clock';
import type { KeyValueStore } from '@realchat/store';
import { parseRegistration, registryKey, type Registration } from './registration.js';

export interface AnnouncerOptions {
  readonly store: KeyValueStore;
  /** `auth`, `chat`, ... — the pool the gateway adds this instance to. */
  readonly service: string;
  /** Base URL the gateway reaches this instance at, e.g. `http://10.0.0.5:8081`. */
  readonly url: string;
  /** Unique per process; default a random UUID. */
  readonly instanceId?: string;
  /** Lifetime of the entry without a heartbeat. Default 15 s. */
  readonly ttlMs?: number;
  /** Heartbeat period; must be well below `ttlMs`. Default a third of it. */
  readonly intervalMs?: number;
  /** Receives heartbeat failures (the store is down); the next beat retries. */
  readonly onError?: (err: unknown) => void;
  /** Times the heartbeat. Default systemClock. */
  readonly clock?: Clock;
}

export interface Announcer {
  readonly registration: Registration;
  /** Writes the entry now and keeps it alive with a heartbeat. */
  start(): Promise<void>;
  /** Stops the heartbeat and removes the entry, so the gateway drops the instance at once. */
  stop(): Promise<void>;
}

/**
 * Self-registration: a service instance announces `{service, instanceId, url}` under
 * `registry:<service>:<instanceId>` with a TTL it keeps refreshing. If the process dies, the
 * entry expires and the gateway's watcher drops the instance.
 */
export function createAnnouncer(options: AnnouncerOptions): Announcer {
  const ttlMs = options.ttlMs ?? 15_000;
  const intervalMs = options.intervalMs ?? Math.floor(ttlMs / 3);
  if (intervalMs >= ttlMs) throw new RangeError('intervalMs must be shorter than ttlMs');
  const registration: Registration = {
    service: options.service,
    instanceId: options.instanceId ?? randomUUID(),
    url: options.url.replace(/\/$/, ''),
  };
  const value = JSON.stringify(registration);
  if (parseRegistration(value) === undefined) throw new TypeError(`invalid registration ${value}`);
  const key = registryKey(registration.service, registration.instanceId);
  const clock = options.clock ?? systemClock;
  let timer: TimerHandle | undefined;
  // Set before the first await, so a second start() joins the first instead of adding an interval.
  let starting: Promise<void> | undefined;

  const beat = async (): Promise<void> => {
    try {
      await options.store.set(key, value, ttlMs);
    } catch (err) {
      options.onError?.(err);
    }
  };

  return {
    registration,
    start() {
      starting ??= (async () => {
        await options.store.set(key, value, ttlMs);
        timer = clock.setInterval(() => void beat(), intervalMs, { unref: true });
      })().catch((err: unknown) => {
        // A failed start may be tried again.
        starting = undefined;
        throw err;
      });
      return starting;
    },
    async stop() {
      if (starting === undefined) return;
      const started = starting;
      starting = undefined;
      // A start still writing finishes first, or its interval would outlive this stop.
      if (!(await started.then(() => true, () => false))) return;
      timer?.clear();
      timer = undefined;
      await options.store.del(key);
    },
  };
}

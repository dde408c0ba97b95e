import { systemClock, type Clock, type TimerHandle } from '@realchat/clock';
import type { KeyValueStore } from '@realchat/store';
import { parseRegistration, REGISTRY_PREFIX, type Registration } from './registration.js';

/** The live instances per service, each list sorted by URL. */
export type RegistrySnapshot = ReadonlyMap<string, readonly Registration[]>;

export interface RegistryWatcherOptions {
  readonly store: KeyValueStore;
  /** Scan period. Default 2 s. */
  readonly intervalMs?: number;
  /** Called after every scan whose result differs from the previous one. */
  readonly onChange: (snapshot: RegistrySnapshot) => void;
  /** Receives scan failures; the previous snapshot stays in force until a scan succeeds. */
  readonly onError?: (err: unknown) => void;
  /** Times the scans. Default systemClock. */
  readonly clock?: Clock;
}

export interface RegistryWatcher {
  /** Scans once now (start() does this before its first interval); scans never overlap, the latest result wins. */
  refresh(): Promise<RegistrySnapshot>;
  current(): RegistrySnapshot;
  start(): Promise<void>;
  stop(): void;
}

function fingerprint(snapshot: RegistrySnapshot): string {
  return JSON.stringify([...snapshot].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Polls the registry (`scan('registry:')`) and reports the instances each service has. Expired
 * entries vanish from the store, so an instance that stopped heartbeating drops out at the next
 * scan. A failed scan keeps the last known instances: a Redis outage must not empty every pool.
 */
export function createRegistryWatcher(options: RegistryWatcherOptions): RegistryWatcher {
  const intervalMs = options.intervalMs ?? 2_000;
  let snapshot: RegistrySnapshot = new Map();
  let last = fingerprint(snapshot);
  const clock = options.clock ?? systemClock;
  let timer: TimerHandle | undefined;
  let started = false;
  /** Bumped by stop(): a start() whose first scan outlives a stop() does not add its interval. */
  let generation = 0;

  const scan = async (): Promise<RegistrySnapshot> => {
    const entries = await options.store.scan(REGISTRY_PREFIX);
    const byService = new Map<string, Registration[]>();
    for (const { key, value } of entries) {
      const registration = parseRegistration(value);
      // The key must agree with the value, so one service cannot announce into another's pool by key alone.
      if (registration === undefined || !key.startsWith(`${REGISTRY_PREFIX}${registration.service}:`)) continue;
      const list = byService.get(registration.service) ?? [];
      list.push(registration);
      byService.set(registration.service, list);
    }
    for (const list of byService.values()) list.sort((a, b) => a.url.localeCompare(b.url) || a.instanceId.localeCompare(b.instanceId));
    snapshot = byService;
    const next = fingerprint(snapshot);
    if (next !== last) {
      // Recorded only once the consumer took it: a change it failed on is offered again next scan.
      options.onChange(snapshot);
      last = next;
    }
    return snapshot;
  };

  // One scan at a time, so an older scan never lands after a newer one. A call made while a scan
  // runs waits for it and then scans again (its answer must not predate the call); every call made
  // during the same scan shares that one follow-up scan.
  let running: Promise<RegistrySnapshot> | undefined;
  let queued: Promise<RegistrySnapshot> | undefined;
  const refresh = (): Promise<RegistrySnapshot> => {
    if (running === undefined) {
      const current = scan().finally(() => {
        if (running === current) running = undefined;
      });
      running = current;
      return current;
    }
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return refresh();
      });
    return queued;
  };

  const tick = async (): Promise<void> => {
    try {
      await refresh();
    } catch (err) {
      options.onError?.(err);
    }
  };

  return {
    refresh,
    current: () => snapshot,
    async start() {
      // The flag is up before the first await: a second start() does not add a second interval.
      if (started) return;
      started = true;
      const mine = generation;
      await tick();
      if (mine !== generation) return;
      timer = clock.setInterval(() => void tick(), intervalMs, { unref: true });
    },
    stop() {
      started = false;
      generation += 1;
      timer?.clear();
      timer = undefined;
    },
  };
}

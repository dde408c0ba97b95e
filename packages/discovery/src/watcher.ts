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
}

export interface RegistryWatcher {
  /** Scans once now (start() does this before its first interval). */
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
  let timer: NodeJS.Timeout | undefined;

  const refresh = async (): Promise<RegistrySnapshot> => {
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
      last = next;
      options.onChange(snapshot);
    }
    return snapshot;
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
      if (timer !== undefined) return;
      await tick();
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

import { systemClock, type Clock } from '@realchat/clock';
import type { KeyValueStore } from './types.js';
import { checkStep, normalizeTtl, parseCounter } from './internal/ttl.js';

export interface MemoryStoreOptions {
  /** Prepended to every key, as in Redis; mostly for parity (one memory store per process). */
  readonly prefix?: string;
  readonly clock?: Clock;
  /** Upper bound on live keys; beyond it the keys closest to expiry are evicted first. Default 100 000. */
  readonly maxKeys?: number;
  /** Interval of the background purge of expired keys, by the clock. Default 30 s. */
  readonly sweepIntervalMs?: number;
}

interface Entry {
  value: string;
  /** Epoch milliseconds by the injected clock; `Infinity` for keys without a TTL. */
  expiresAt: number;
}

/**
 * The embedded KeyValueStore: a Map with expiry by the injected clock. Expired keys are dropped
 * lazily on access and by an unref'd periodic sweep; the key count is bounded so an attacker
 * cycling through IPs cannot grow it without limit.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): KeyValueStore {
  const prefix = options.prefix ?? '';
  const clock = options.clock ?? systemClock;
  const maxKeys = options.maxKeys ?? 100_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be a positive integer');
  const entries = new Map<string, Entry>();

  const sweep = (): void => {
    const now = clock.now().getTime();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
  };
  const timer = clock.setInterval(sweep, options.sweepIntervalMs ?? 30_000, { unref: true });

  const live = (key: string, now: number): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  // Called before adding a key: when full, purge expired keys, then evict a tenth of the keys
  // closest to expiry at once so the sort is amortised over many inserts.
  const makeRoom = (): void => {
    if (entries.size < maxKeys) return;
    sweep();
    if (entries.size < maxKeys) return;
    const victims = [...entries].sort((a, b) => a[1].expiresAt - b[1].expiresAt);
    const count = Math.max(1, Math.ceil(maxKeys / 10));
    for (let i = 0; i < count && i < victims.length; i++) entries.delete(victims[i]![0]);
  };

  const put = (key: string, entry: Entry): void => {
    if (!entries.has(key)) makeRoom();
    entries.set(key, entry);
  };

  return {
    async get(key) {
      return live(prefix + key, clock.now().getTime())?.value ?? null;
    },
    async set(key, value, ttlMs) {
      const expiresAt = ttlMs === undefined ? Infinity : clock.now().getTime() + normalizeTtl(ttlMs);
      put(prefix + key, { value, expiresAt });
    },
    async del(key) {
      entries.delete(prefix + key);
    },
    async increment(key, ttlMs, by = 1) {
      const ttl = normalizeTtl(ttlMs);
      checkStep(by);
      const now = clock.now().getTime();
      const full = prefix + key;
      const entry = live(full, now);
      if (entry === undefined) {
        // A negative step (a rollback) must not create a counter that a later hit would start below 0.
        if (by < 0) return { value: 0, ttlMs: 0 };
        put(full, { value: String(by), expiresAt: now + ttl });
        return { value: by, ttlMs: ttl };
      }
      const value = Math.max(0, parseCounter(entry.value) + by);
      entry.value = String(value);
      // Same rule as the Redis script: a counter never lives forever.
      if (entry.expiresAt === Infinity) entry.expiresAt = now + ttl;
      return { value, ttlMs: entry.expiresAt - now };
    },
    async scan(keyPrefix) {
      const now = clock.now().getTime();
      const start = prefix + keyPrefix;
      const found: Array<{ key: string; value: string }> = [];
      for (const [key, entry] of entries) {
        if (key.startsWith(start) && entry.expiresAt > now) found.push({ key: key.slice(prefix.length), value: entry.value });
      }
      return found;
    },
    async ping() {},
    async close() {
      timer.clear();
      entries.clear();
    },
  };
}

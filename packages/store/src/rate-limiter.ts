import { systemClock, type Clock } from '@realchat/clock';
import type { KeyValueStore, RateLimitDecision } from './types.js';

export interface RateLimiterOptions {
  /** Attempts allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
  /** Namespace of this limiter's counters, e.g. `login:ip`. */
  readonly prefix: string;
  /** Decides the window boundaries; instances sharing a store should run on synchronised clocks. */
  readonly clock?: Clock;
}

export interface RateLimiter {
  /**
   * Records an attempt of weight `cost` (default 1) and says whether it is allowed. A denied
   * attempt is not counted, so a client retrying while blocked is let through again as soon as
   * the window has room: the limit caps allowed attempts, not attempts.
   */
  hit(key: string, cost?: number): Promise<RateLimitDecision>;
  /** The decision a hit of cost 1 would get now, without recording anything. */
  peek(key: string): Promise<RateLimitDecision>;
  /** Forgets the key's attempts, e.g. after a successful login. */
  reset(key: string): Promise<void>;
}

/**
 * A sliding-window rate limiter over any KeyValueStore (two fixed windows, the previous one
 * weighted by how much of it still overlaps the sliding window). On Redis every instance shares
 * the counters. `resetMs` is the time until the current window ends when allowed, and the time
 * until a hit of the same cost would be allowed (the `Retry-After`) when denied.
 */
export function createRateLimiter(store: KeyValueStore, options: RateLimiterOptions): RateLimiter {
  const { limit, windowMs, prefix } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new RangeError('windowMs must be a positive integer');
  const clock = options.clock ?? systemClock;
  // Counters live two windows: while current, then as the previous window.
  const ttlMs = windowMs * 2;
  const keyOf = (key: string, index: number): string => `${prefix}:${key}:${index}`;

  const position = (): { index: number; elapsed: number } => {
    const now = clock.now().getTime();
    const index = Math.floor(now / windowMs);
    return { index, elapsed: now - index * windowMs };
  };

  const readCount = async (key: string): Promise<number> => {
    const raw = await store.get(key);
    const n = raw === null ? 0 : Number(raw);
    return Number.isFinite(n) && n > 0 ? n : 0;
  };

  // `current` includes the hit being decided when `counted`; a denied hit is rolled back, so its
  // `remaining` describes the state without it.
  const decide = (previous: number, current: number, elapsed: number, cost: number, counted: boolean): RateLimitDecision => {
    const used = previous * (1 - elapsed / windowMs) + current;
    const allowed = counted ? used <= limit : used + cost <= limit;
    const base = allowed || !counted ? current : current - cost;
    const state = allowed || !counted ? used : used - cost;
    return {
      allowed,
      limit,
      remaining: Math.max(0, Math.floor(limit - state)),
      resetMs: allowed ? windowMs - elapsed : retryAfter(previous, base, elapsed, cost),
    };
  };

  // Earliest time at which previous·(1 - t/W) + current + cost ≤ limit, assuming no other hits.
  const retryAfter = (previous: number, current: number, elapsed: number, cost: number): number => {
    if (cost > limit) return windowMs * 2 - elapsed;
    const room = limit - cost - current;
    if (room >= 0 && previous > 0) {
      const t = windowMs * (1 - room / previous);
      return Math.max(1, Math.ceil(t - elapsed));
    }
    // The current window alone is over: wait for it to become the previous one and decay enough.
    const t = current > 0 ? windowMs * (1 - (limit - cost) / current) : 0;
    return Math.max(1, Math.ceil(windowMs - elapsed + Math.max(0, t)));
  };

  return {
    async hit(key, cost = 1) {
      if (!Number.isInteger(cost) || cost < 1) throw new RangeError('cost must be a positive integer');
      const { index, elapsed } = position();
      const [counter, previous] = await Promise.all([
        store.increment(keyOf(key, index), ttlMs, cost),
        readCount(keyOf(key, index - 1)),
      ]);
      const decision = decide(previous, counter.value, elapsed, cost, true);
      // A negative step leaves a counter that reset() deleted meanwhile absent, rather than at -cost.
      if (!decision.allowed) await store.increment(keyOf(key, index), ttlMs, -cost);
      return decision;
    },
    async peek(key) {
      const { index, elapsed } = position();
      const [current, previous] = await Promise.all([readCount(keyOf(key, index)), readCount(keyOf(key, index - 1))]);
      return decide(previous, current, elapsed, 1, false);
    },
    async reset(key) {
      const { index } = position();
      await Promise.all([store.del(keyOf(key, index)), store.del(keyOf(key, index - 1))]);
    },
  };
}

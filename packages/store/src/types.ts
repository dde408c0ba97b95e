/**
 * Ephemeral shared state: Redis when distributed, memory when embedded.
 * Every key is prefixed by the store's own prefix, so tests and deployments never collide.
 */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  /** Sets `key`; with `ttlMs`, it disappears after that many milliseconds. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(key: string): Promise<void>;
  /**
   * Atomically adds `by` (a safe integer, else RangeError) to the counter at `key`; a new counter
   * expires after `ttlMs`. Returns the new value and the remaining time to live of the counter.
   * A negative `by` only lowers an existing counter, never below 0, and never creates one: a
   * counter deleted or expired meanwhile stays absent (`{ value: 0, ttlMs: 0 }`).
   */
  increment(key: string, ttlMs: number, by?: number): Promise<{ value: number; ttlMs: number }>;
  /** Keys (without the prefix) that start with `prefix`, with their values; for small sets such as a service registry. */
  scan(prefix: string): Promise<Array<{ key: string; value: string }>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Outcome of one rate-limited attempt. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the window resets (the `Retry-After` when not allowed). */
  readonly resetMs: number;
}

/** A scheduled call; `clear()` cancels it and is harmless once it fired. */
export interface TimerHandle {
  clear(): void;
}

/**
 * Time as the SDK reads and schedules it (refresh before expiry, reconnect backoff, liveness).
 * Structurally a subset of `@realchat/clock`'s Clock, so its ManualClock drives the SDK in tests
 * without the SDK depending on a Node-only package.
 */
export interface Clock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** Wall-clock time and the platform's timers (browsers and Node alike). */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => {
    const timer = globalThis.setTimeout(fn, ms);
    return { clear: () => globalThis.clearTimeout(timer) };
  },
};

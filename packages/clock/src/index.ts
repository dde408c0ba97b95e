/** A scheduled call; `clear()` cancels it, and is harmless once it fired or was cleared. */
export interface TimerHandle {
  clear(): void;
}

export interface TimerOptions {
  /**
   * Lets the process exit while the timer is pending, as Node's `unref()`: for background
   * schedules (refreshes, sweeps, heartbeats). Default false, as in Node: a timer that some work
   * waits on (a deadline, a redelivery) keeps the process alive.
   */
  readonly unref?: boolean;
}

/**
 * The source of "now" and of timers for every rule that depends on time; injected so tests move
 * time instead of sleeping.
 */
export interface Clock {
  now(): Date;
  /** Calls `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
  /** Calls `fn` every `ms` until cleared. */
  setInterval(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
}

/**
 * Runs `task` every `ms` by `clock`, each run `ms` after the previous one ended (a clock moved by
 * days runs it once, not once per interval, and runs never overlap). `clear()` stops the schedule.
 */
export function repeatAfterEach(clock: Clock, ms: number, task: () => Promise<void>, onError: (err: unknown) => void): TimerHandle {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const arm = (): void => {
    timer = clock.setTimeout(tick, ms, { unref: true });
  };
  const tick = (): void => {
    task()
      .catch(onError)
      .finally(() => {
        if (!stopped) arm();
      });
  };
  arm();
  return {
    clear() {
      stopped = true;
      timer?.clear();
    },
  };
}

function nodeHandle(timer: NodeJS.Timeout, options: TimerOptions | undefined): TimerHandle {
  if (options?.unref === true) timer.unref();
  return { clear: () => clearTimeout(timer) };
}

/** Wall-clock time and Node's timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (fn, ms, options) => nodeHandle(setTimeout(fn, ms), options),
  setInterval: (fn, ms, options) => nodeHandle(setInterval(fn, ms), options),
};

interface ManualTimer {
  dueAt: number;
  /** Breaks ties between timers due at the same time: the one (re-)armed first fires first. */
  order: number;
  readonly fn: () => void;
  readonly every: number | undefined;
}

/** As in Node, a delay under 1 ms (or not a number) counts as 1 ms; so a timer re-arming itself cannot loop within one instant. */
const delayOf = (ms: number): number => (ms >= 1 ? ms : 1);

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that only moves when told to: for tests and benchmarks. Its timers fire while
 * `advance()`, `advanceAsync()` or `set()` moves time past their due time, in due-time order, each
 * seeing `now()` at its own due time; intervals re-arm, and a timer armed by a firing callback that
 * falls due within the same move fires in it too. Moving time back fires nothing.
 */
export class ManualClock implements Clock {
  #ms: number;
  readonly #timers = new Set<ManualTimer>();
  #armed = 0;

  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#ms = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#arm(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#arm(fn, ms, delayOf(ms));
  }

  /** Timers armed and neither fired nor cleared (an interval counts until cleared). */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing the timers due on the way. A callback that throws does not
   * stop the others: the first error is thrown once time has moved.
   */
  advance(ms: number): void {
    this.#moveTo(this.#ms + ms);
  }

  set(at: Date): void {
    this.#moveTo(at.getTime());
  }

  /**
   * As advance(), but waits a macrotask before each timer it fires and once more at the end, so
   * promise callbacks started by one timer (and timers they arm within the window) run before the
   * next fires. Work waiting on real I/O may need longer: that is for the test to await.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#ms + ms;
    let failure: { err: unknown } | undefined;
    for (;;) {
      await nextMacrotask();
      const timer = this.#next(target);
      if (timer === undefined) break;
      const result = this.#fire(timer);
      failure ??= result;
    }
    this.#ms = target;
    await nextMacrotask();
    if (failure !== undefined) throw failure.err;
  }

  #arm(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const timer: ManualTimer = { dueAt: this.#ms + delayOf(ms), order: this.#armed++, fn, every };
    this.#timers.add(timer);
    return { clear: () => void this.#timers.delete(timer) };
  }

  /** The timer due first, if it is due by `until`. */
  #next(until: number): ManualTimer | undefined {
    let first: ManualTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.dueAt > until) continue;
      if (first === undefined || timer.dueAt < first.dueAt || (timer.dueAt === first.dueAt && timer.order < first.order)) first = timer;
    }
    return first;
  }

  #fire(timer: ManualTimer): { err: unknown } | undefined {
    this.#ms = timer.dueAt;
    if (timer.every === undefined) {
      this.#timers.delete(timer);
    } else {
      timer.dueAt += timer.every;
      timer.order = this.#armed++;
    }
    try {
      timer.fn();
      return undefined;
    } catch (err) {
      return { err };
    }
  }

  #moveTo(target: number): void {
    let failure: { err: unknown } | undefined;
    for (let timer = this.#next(target); timer !== undefined; timer = this.#next(target)) {
      const result = this.#fire(timer);
      failure ??= result;
    }
    this.#ms = target;
    if (failure !== undefined) throw failure.err;
  }
}

import { describe, expect, it } from 'vitest';
import { ManualClock, repeatAfterEach, systemClock } from '../src/index.js';

describe('ManualClock timers', () => {
  it('fires due timers in due-time order, each at its own time, ties in the order armed', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now().getTime()}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a'), 10);
    clock.setTimeout(at('b1'), 20);
    clock.setTimeout(at('b2'), 20);
    clock.advance(19);
    expect(fired).toEqual(['a@10']);
    clock.advance(100);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.now().getTime()).toBe(119);
    expect(clock.pendingTimers).toBe(0);
  });

  it('re-arms intervals, once per period passed, until cleared', () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const interval = clock.setInterval(() => ticks.push(clock.now().getTime()), 100);
    clock.advance(350);
    expect(ticks).toEqual([100, 200, 300]);
    interval.clear();
    clock.advance(1_000);
    expect(ticks).toEqual([100, 200, 300]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fires within the same move a timer armed by a callback when it falls inside the window', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const again = (): void => {
      fired.push(clock.now().getTime());
      clock.setTimeout(again, 40);
    };
    clock.setTimeout(again, 40);
    clock.advance(100);
    expect(fired).toEqual([40, 80]);
    // The one armed at 80 is due at 120: past the window, still pending.
    expect(clock.pendingTimers).toBe(1);
  });

  it('never fires a cleared timer, and clearing twice or after firing is harmless', () => {
    const clock = new ManualClock(0);
    let count = 0;
    const timer = clock.setTimeout(() => count++, 10);
    timer.clear();
    timer.clear();
    clock.advance(20);
    expect(count).toBe(0);
    const fired = clock.setTimeout(() => count++, 10);
    clock.advance(10);
    fired.clear();
    expect(count).toBe(1);
  });

  it('lets a callback clear a timer due later in the same move', () => {
    const clock = new ManualClock(0);
    let late = 0;
    const later = clock.setTimeout(() => late++, 20);
    clock.setTimeout(() => later.clear(), 10);
    clock.advance(30);
    expect(late).toBe(0);
  });

  it('counts a delay under 1 ms as 1 ms, as Node does', () => {
    const clock = new ManualClock(0);
    let count = 0;
    clock.setTimeout(() => count++, 0);
    clock.setTimeout(() => count++, Number.NaN);
    clock.advance(0);
    expect(count).toBe(0);
    clock.advance(1);
    expect(count).toBe(2);
  });

  it('fires timers when set() moves past them, and nothing when it moves back', () => {
    const clock = new ManualClock(1_000);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now().getTime()), 500);
    clock.set(new Date(0));
    expect(fired).toEqual([]);
    clock.set(new Date(2_000));
    expect(fired).toEqual([1_500]);
    expect(clock.now().getTime()).toBe(2_000);
  });

  it('fires the other timers when one throws, then throws the first error with time fully moved', () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      throw new Error('first');
    }, 10);
    clock.setTimeout(() => {
      throw new Error('second');
    }, 20);
    clock.setTimeout(() => fired.push(30), 30);
    expect(() => clock.advance(50)).toThrow('first');
    expect(fired).toEqual([30]);
    expect(clock.now().getTime()).toBe(50);
  });
});

describe('ManualClock.advanceAsync', () => {
  it('lets the promise work of one timer run, and arm the next, before moving on', async () => {
    const clock = new ManualClock(0);
    const runs: number[] = [];
    // A poll loop as the services write them: await some work, then arm the next round.
    const poll = async (): Promise<void> => {
      await Promise.resolve();
      runs.push(clock.now().getTime());
      clock.setTimeout(() => void poll(), 100);
    };
    clock.setTimeout(() => void poll(), 100);
    await clock.advanceAsync(350);
    expect(runs).toEqual([100, 200, 300]);
    expect(clock.now().getTime()).toBe(350);
  });

  it('does what advance() cannot: the synchronous move sees only the first round', async () => {
    const clock = new ManualClock(0);
    let runs = 0;
    const poll = async (): Promise<void> => {
      await Promise.resolve();
      runs++;
      clock.setTimeout(() => void poll(), 100);
    };
    clock.setTimeout(() => void poll(), 100);
    clock.advance(350);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBe(1);
  });

  it('rejects with the first error a timer threw, after moving time fully', async () => {
    const clock = new ManualClock(0);
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 10);
    await expect(clock.advanceAsync(20)).rejects.toThrow('boom');
    expect(clock.now().getTime()).toBe(20);
  });
});

describe('systemClock timers', () => {
  it('delegates to Node: a timeout fires, a cleared one does not', async () => {
    let fired = 0;
    systemClock.setTimeout(() => fired++, 1, { unref: true });
    systemClock.setTimeout(() => fired++, 1).clear();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(1);
  });
});

describe('repeatAfterEach', () => {
  it('runs the task once per interval after the previous run ended, never overlapping, until cleared', async () => {
    const clock = new ManualClock(0);
    let running = 0;
    const starts: number[] = [];
    let release: (() => void) | undefined;
    const handle = repeatAfterEach(
      clock,
      1_000,
      async () => {
        running++;
        starts.push(clock.now().getTime());
        await new Promise<void>((resolve) => (release = resolve));
        running--;
      },
      () => undefined,
    );
    // A day passes while the first run is still going: one run, not 86,400.
    await clock.advanceAsync(86_400_000);
    expect(starts).toEqual([1_000]);
    expect(running).toBe(1);
    release!();
    await new Promise((r) => setImmediate(r));
    // The next run is due 1 s after the first one ended.
    await clock.advanceAsync(999);
    expect(starts).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(starts).toEqual([1_000, 86_401_000]);
    handle.clear();
    release!();
    await clock.advanceAsync(10_000);
    expect(starts).toHaveLength(2);
  });

  it('reports a failed run and keeps the schedule', async () => {
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    let runs = 0;
    const handle = repeatAfterEach(clock, 10, async () => void (runs++, (() => { throw new Error(`run ${runs}`); })()), (err) => errors.push(err));
    await clock.advanceAsync(10);
    await clock.advanceAsync(10);
    handle.clear();
    expect(runs).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['run 1', 'run 2']);
  });
});

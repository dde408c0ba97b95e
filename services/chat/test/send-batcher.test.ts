import { describe, expect, it } from 'vitest';
import { SendBatcher } from '../src/messaging/send-batcher.js';

interface Item {
  readonly key: string;
  readonly n: number;
}

/** A batcher whose batches each wait until released; `runs` records them in the order they started. */
function setup(options: { maxInFlight: number; maxBatch: number }) {
  const runs: Array<{ items: readonly Item[]; release: () => void; fail: (err: Error) => void }> = [];
  const batcher = new SendBatcher<Item, number>(
    (items) =>
      new Promise((resolve, reject) =>
        runs.push({ items, release: () => resolve(items.map((i) => i.n * 10)), fail: reject }),
      ),
    { key: (item) => item.key, ...options },
  );
  return { batcher, runs };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const label = (items: readonly Item[]): string[] => items.map((i) => `${i.key}${i.n}`);

describe('SendBatcher', () => {
  it('runs a lone item at once, then batches what arrived meanwhile, answering each in order', async () => {
    const { batcher, runs } = setup({ maxInFlight: 1, maxBatch: 3 });
    const answers = [1, 2, 3, 4, 5].map((n) => batcher.submit({ key: `k${n}`, n }));
    expect(runs.map((r) => label(r.items))).toEqual([['k11']]);
    runs[0]!.release();
    await tick();
    expect(runs.map((r) => label(r.items))).toEqual([['k11'], ['k22', 'k33', 'k44']]);
    runs[1]!.release();
    await tick();
    runs[2]!.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    await batcher.idle();
  });

  it('never has one key in two batches under way: its items wait and go together, in order, while other keys run beside', async () => {
    const { batcher, runs } = setup({ maxInFlight: 4, maxBatch: 128 });
    const answers = [
      batcher.submit({ key: 'a', n: 1 }),
      batcher.submit({ key: 'a', n: 2 }),
      batcher.submit({ key: 'b', n: 3 }),
      batcher.submit({ key: 'a', n: 4 }),
      batcher.submit({ key: 'c', n: 5 }),
    ];
    // a1 took the first slot; a2 waits for it, b3 runs beside it, a4 waits behind a2, c5 runs.
    expect(runs.map((r) => label(r.items))).toEqual([['a1'], ['b3'], ['c5']]);
    runs[1]!.release();
    await tick();
    expect(runs).toHaveLength(3);
    runs[0]!.release();
    await tick();
    expect(runs.map((r) => label(r.items))).toEqual([['a1'], ['b3'], ['c5'], ['a2', 'a4']]);
    runs[2]!.release();
    runs[3]!.release();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
  });

  it('rejects every item of a failed batch and goes on with the next', async () => {
    const { batcher, runs } = setup({ maxInFlight: 1, maxBatch: 128 });
    const first = batcher.submit({ key: 'a', n: 1 });
    const second = batcher.submit({ key: 'a', n: 2 });
    runs[0]!.fail(new Error('gone'));
    await expect(first).rejects.toThrow('gone');
    await tick();
    runs[1]!.release();
    expect(await second).toBe(20);
    await batcher.idle();
  });
  it('starts the next batch before answering the one done, and is idle only once every submitter is answered', async () => {
    const { batcher, runs } = setup({ maxInFlight: 1, maxBatch: 8 });
    const seen: string[] = [];
    const first = batcher.submit({ key: 'a', n: 1 }).then(() => seen.push(`answered a1 with ${runs.length} runs started`));
    const second = batcher.submit({ key: 'a', n: 2 }).then(() => seen.push('answered a2'));
    runs[0]!.release();
    await first;
    // a2's batch went to the database first: the senders' fan-out overlaps its commit.
    expect(seen).toEqual(['answered a1 with 2 runs started']);
    runs[1]!.release();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    // Nothing runs any more, but a2 is not answered yet: not idle.
    void batcher.idle().then(() => seen.push('idle'));
    await second;
    await tick();
    expect(seen).toEqual(['answered a1 with 2 runs started', 'answered a2', 'idle']);
  });
});

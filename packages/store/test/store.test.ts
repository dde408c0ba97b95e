import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import { createMemoryStore, createRateLimiter, createRedisStore, type KeyValueStore } from '../src/index.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const runPrefix = `test:store:${randomUUID()}:`;

interface Harness {
  /** A fresh store under this run's prefix (for Redis: its own connection, as another instance would have). */
  make(): KeyValueStore;
  /** Lets `ms` pass for the store's expiry: the manual clock for memory, real time for Redis. */
  pass(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

function memoryHarness(): Harness {
  const clock = new ManualClock();
  let store: KeyValueStore | undefined;
  return {
    make: () => (store ??= createMemoryStore({ prefix: runPrefix, clock })),
    pass: async (ms) => clock.advance(ms),
    cleanup: async () => store?.close(),
  };
}

function redisHarness(): Harness {
  const made: KeyValueStore[] = [];
  const caseId = randomUUID();
  return {
    make: () => {
      const store = createRedisStore({ url: REDIS_URL, prefix: `${runPrefix}${caseId}:` });
      made.push(store);
      return store;
    },
    pass: (ms) => sleep(ms),
    cleanup: async () => {
      await Promise.all(made.splice(0).map((s) => s.close()));
    },
  };
}

afterAll(async () => {
  // Every key this run wrote is under runPrefix: delete them so repeated runs leave nothing behind.
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
});

describe.each([
  ['memory', memoryHarness],
  ['redis', redisHarness],
] as const)('KeyValueStore (%s)', (_name, makeHarness) => {
  let h: Harness;
  let store: KeyValueStore;
  beforeEach(async () => {
    h = makeHarness();
    store = h.make();
    return () => h.cleanup();
  });

  it('gets, sets and deletes values', async () => {
    expect(await store.get('missing')).toBeNull();
    await store.set('k', 'v1');
    expect(await store.get('k')).toBe('v1');
    await store.set('k', 'v2');
    expect(await store.get('k')).toBe('v2');
    await store.del('k');
    expect(await store.get('k')).toBeNull();
    await store.ping();
  });

  it('expires a key after its TTL, and keeps a key without TTL', async () => {
    await store.set('short', 'x', 100);
    await store.set('forever', 'y');
    expect(await store.get('short')).toBe('x');
    await h.pass(150);
    expect(await store.get('short')).toBeNull();
    expect(await store.get('forever')).toBe('y');
  });

  it('increments a counter whose TTL is set once, then restarts after expiry', async () => {
    const first = await store.increment('c', 150);
    expect(first.value).toBe(1);
    expect(first.ttlMs).toBeGreaterThan(100);
    expect(first.ttlMs).toBeLessThanOrEqual(150);
    await h.pass(60);
    const second = await store.increment('c', 150, 5);
    expect(second.value).toBe(6);
    // The window did not slide: the remaining TTL went down.
    expect(second.ttlMs).toBeLessThanOrEqual(150 - 50);
    await h.pass(120);
    expect((await store.increment('c', 150)).value).toBe(1);
  });

  it('gives a TTL to a counter that had none', async () => {
    await store.set('plain', '41');
    const r = await store.increment('plain', 100);
    expect(r).toEqual({ value: 42, ttlMs: expect.any(Number) });
    expect(r.ttlMs).toBeGreaterThan(0);
    await h.pass(150);
    expect(await store.get('plain')).toBeNull();
  });

  it('increments atomically under 200 concurrent calls', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => store.increment('hot', 60_000)));
    const values = results.map((r) => r.value).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await store.get('hot')).toBe('200');
  });

  it('refuses a step that is not a safe integer, and writes nothing', async () => {
    for (const by of [1.5, -0.5, Number.NaN, Infinity, 2 ** 53]) {
      await expect(store.increment('step', 1_000, by)).rejects.toThrow(RangeError);
    }
    expect(await store.get('step')).toBeNull();
  });

  it('lowers an existing counter by a negative step, never below 0, and never creates one', async () => {
    expect(await store.increment('absent', 1_000, -3)).toEqual({ value: 0, ttlMs: 0 });
    expect(await store.get('absent')).toBeNull();
    await store.increment('c', 1_000, 2);
    const lowered = await store.increment('c', 1_000, -5);
    expect(lowered.value).toBe(0);
    expect(lowered.ttlMs).toBeGreaterThan(0);
    expect(await store.get('c')).toBe('0');
    expect((await store.increment('c', 1_000)).value).toBe(1);
  });

  it('scans keys by prefix, literally, without expired ones', async () => {
    await store.set('svc:a', '1');
    await store.set('svc:b', '2');
    await store.set('svc*', 'glob');
    await store.set('other', '3');
    await store.set('svc:gone', '4', 50);
    await h.pass(100);
    const found = await store.scan('svc:');
    expect(found.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'svc:a', value: '1' },
      { key: 'svc:b', value: '2' },
    ]);
    expect((await store.scan('svc*')).map((e) => e.key)).toEqual(['svc*']);
    expect((await store.scan('')).length).toBe(4);
  });
});

describe.each([
  ['memory', memoryHarness],
  ['redis', redisHarness],
] as const)('createRateLimiter (%s)', (_name, makeHarness) => {
  const WINDOW = 60_000;
  let h: Harness;
  let clock: ManualClock;
  beforeEach(() => {
    h = makeHarness();
    // Window boundaries come from this clock; 2026-01-01 is a multiple of the window.
    clock = new ManualClock();
    clock.advance(10_000);
    return () => h.cleanup();
  });

  it('allows up to the limit, denies with the right resetMs, then allows again', async () => {
    const limiter = createRateLimiter(h.make(), { limit: 3, windowMs: WINDOW, prefix: 'login', clock });
    expect(await limiter.peek('ip1')).toEqual({ allowed: true, limit: 3, remaining: 3, resetMs: 50_000 });
    const hits = [await limiter.hit('ip1'), await limiter.hit('ip1'), await limiter.hit('ip1')];
    expect(hits.map((d) => [d.allowed, d.remaining])).toEqual([[true, 2], [true, 1], [true, 0]]);
    expect(hits[2]!.resetMs).toBe(50_000);

    // 3 hits in this window: the next hit fits when the window has passed and 1/3 of it decayed.
    const denied = await limiter.hit('ip1');
    expect(denied).toEqual({ allowed: false, limit: 3, remaining: 0, resetMs: 70_000 });
    expect((await limiter.hit('other-ip')).allowed).toBe(true);

    clock.advance(69_999);
    expect((await limiter.hit('ip1')).allowed).toBe(false);
    clock.advance(1);
    expect(await limiter.peek('ip1')).toMatchObject({ allowed: true });
    expect(await limiter.hit('ip1')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('does not count denied hits', async () => {
    const limiter = createRateLimiter(h.make(), { limit: 2, windowMs: WINDOW, prefix: 'gw', clock });
    await limiter.hit('u');
    await limiter.hit('u');
    for (let i = 0; i < 5; i++) expect((await limiter.hit('u')).allowed).toBe(false);
    // In the next window the previous count is 2, not 7: after half a window one hit fits.
    clock.advance(50_000 + WINDOW / 2);
    expect((await limiter.hit('u')).allowed).toBe(true);
  });

  it('weights the previous window (sliding approximation)', async () => {
    const limiter = createRateLimiter(h.make(), { limit: 4, windowMs: WINDOW, prefix: 'slide', clock });
    for (let i = 0; i < 4; i++) await limiter.hit('k');
    clock.advance(50_000 + 15_000); // next window, a quarter in: previous weighs 3
    expect(await limiter.hit('k')).toMatchObject({ allowed: true, remaining: 0 });
    const denied = await limiter.hit('k');
    expect(denied.allowed).toBe(false);
    // 4·(1 - t/60s) + 1 + 1 ≤ 4 at t = 30 s, i.e. 15 s from now.
    expect(denied.resetMs).toBe(15_000);
  });

  it('resets a key', async () => {
    const limiter = createRateLimiter(h.make(), { limit: 1, windowMs: WINDOW, prefix: 'r', clock });
    await limiter.hit('acct');
    expect((await limiter.hit('acct')).allowed).toBe(false);
    await limiter.reset('acct');
    expect((await limiter.hit('acct')).allowed).toBe(true);
  });

  // Regression: a reset() between a denied hit and its rollback left a counter at -cost, granting extra hits.
  it('grants nothing extra when a reset races the rollback of a denied hit', async () => {
    const inner = h.make();
    const racing: KeyValueStore = {
      ...inner,
      increment: async (key, ttlMs, by) => {
        // The reset lands after the denied hit's increment, before its rollback.
        if (by !== undefined && by < 0) await limiter.reset('acct');
        return inner.increment(key, ttlMs, by);
      },
    };
    const limiter = createRateLimiter(racing, { limit: 2, windowMs: WINDOW, prefix: 'race', clock });
    await limiter.hit('acct', 2);
    expect((await limiter.hit('acct', 2)).allowed).toBe(false);
    // The reset gave the key its full quota back: exactly `limit`, not `limit + cost`.
    expect(await limiter.peek('acct')).toMatchObject({ allowed: true, remaining: 2 });
    expect((await limiter.hit('acct', 2)).allowed).toBe(true);
    expect((await limiter.hit('acct')).allowed).toBe(false);
  });

  it('denies a hit whose cost exceeds the limit', async () => {
    const limiter = createRateLimiter(h.make(), { limit: 3, windowMs: WINDOW, prefix: 'cost', clock });
    expect((await limiter.hit('k', 4)).allowed).toBe(false);
    expect(await limiter.hit('k', 3)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('shares counts between two limiter instances on one store', async () => {
    const a = createRateLimiter(h.make(), { limit: 3, windowMs: WINDOW, prefix: 'shared', clock });
    const b = createRateLimiter(h.make(), { limit: 3, windowMs: WINDOW, prefix: 'shared', clock });
    await a.hit('ip');
    await b.hit('ip');
    expect(await a.hit('ip')).toMatchObject({ allowed: true, remaining: 0 });
    expect((await b.hit('ip')).allowed).toBe(false);
    expect((await b.peek('ip')).remaining).toBe(0);
  });
});

describe('createMemoryStore bounds', () => {
  it('evicts the keys closest to expiry when full, and keeps the newest', async () => {
    const clock = new ManualClock();
    const store = createMemoryStore({ clock, maxKeys: 10 });
    for (let i = 0; i < 10; i++) await store.set(`k${i}`, 'v', 1_000 + i);
    await store.set('new', 'v', 500);
    expect(await store.get('new')).toBe('v');
    expect(await store.get('k0')).toBeNull();
    expect(await store.get('k9')).toBe('v');
    expect((await store.scan('')).length).toBeLessThanOrEqual(10);
    await store.close();
  });

  it('purges expired keys before evicting live ones', async () => {
    const clock = new ManualClock();
    const store = createMemoryStore({ clock, maxKeys: 3 });
    await store.set('old', 'v', 10);
    await store.set('a', 'v');
    await store.set('b', 'v');
    clock.advance(20);
    await store.set('c', 'v');
    expect((await store.scan('')).map((e) => e.key).sort()).toEqual(['a', 'b', 'c']);
    await store.close();
  });

  it('rejects a non-integer counter like Redis does', async () => {
    const store = createMemoryStore();
    await store.set('s', 'abc');
    await expect(store.increment('s', 1_000)).rejects.toThrow(TypeError);
    await store.close();
  });
});

describe('createRedisStore failures', () => {
  it('fails fast with SERVICE_UNAVAILABLE when Redis is down', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', prefix: runPrefix });
    const started = Date.now();
    const err = await store.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('SERVICE_UNAVAILABLE');
    expect((err as AppError).cause).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(3_000);
    await store.close();
  });

  it('does not close a client it did not create', async () => {
    const client = new Redis(REDIS_URL);
    const store = createRedisStore({ client, prefix: runPrefix });
    await store.set('owned', 'no', 1_000);
    await store.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});

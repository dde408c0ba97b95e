import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { createMemoryStore, createRedisStore, type KeyValueStore } from '@realchat/store';
import { createAnnouncer, createRegistryWatcher, parseRegistration, registryKey, type RegistrySnapshot } from '../src/index.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

interface Harness {
  readonly store: KeyValueStore;
  /** Lets `ms` pass for the store's expiry: the manual clock for memory, real time for Redis. */
  expire(key: string, ms: number): Promise<void>;
}

function memoryHarness(): Harness {
  const clock = new ManualClock();
  const store = createMemoryStore({ prefix: `test:discovery:${randomUUID()}:`, clock });
  return { store, expire: async (_key, ms) => clock.advance(ms) };
}

function redisHarness(): Harness {
  const store = createRedisStore({ url: REDIS_URL, prefix: `test:discovery:${randomUUID()}:` });
  return {
    store,
    // Redis expires by its own time: waits (bounded) until the key is gone.
    expire: async (key, ms) => {
      for (let waited = 0; waited < ms * 10 && (await store.get(key)) !== null; waited += 20) await sleep(20);
    },
  };
}

describe.each([
  ['memory', memoryHarness],
  ['redis', redisHarness],
] as const)('discovery (%s store)', (_name, makeHarness) => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(async () => {
    await h.store.close();
  });

  it('announces a registration under its key with a TTL, and removes it on stop', async () => {
    const announcer = createAnnouncer({ store: h.store, service: 'chat', url: 'http://10.0.0.5:8081/', instanceId: 'chat-1', ttlMs: 60_000 });
    expect(announcer.registration).toEqual({ service: 'chat', instanceId: 'chat-1', url: 'http://10.0.0.5:8081' });
    await announcer.start();
    const raw = await h.store.get(registryKey('chat', 'chat-1'));
    expect(parseRegistration(raw!)).toEqual({ service: 'chat', instanceId: 'chat-1', url: 'http://10.0.0.5:8081' });
    await announcer.stop();
    expect(await h.store.get(registryKey('chat', 'chat-1'))).toBeNull();
    // Stopping twice is harmless.
    await announcer.stop();
  });

  it('lets the entry of an instance that stops heartbeating expire', async () => {
    // Its clock never moves, so it never beats again: the process died right after its first write.
    const stopped = new ManualClock();
    const announcer = createAnnouncer({ store: h.store, service: 'chat', url: 'http://10.0.0.5:8081', instanceId: 'gone', ttlMs: 300, intervalMs: 100, clock: stopped });
    const key = registryKey('chat', 'gone');
    await announcer.start();
    expect(await h.store.get(key)).not.toBeNull();
    await h.expire(key, 300);
    expect(await h.store.get(key)).toBeNull();
  });

  it('refuses a heartbeat not shorter than the TTL and an invalid registration', () => {
    expect(() => createAnnouncer({ store: h.store, service: 'chat', url: 'http://a:1', ttlMs: 1000, intervalMs: 1000 })).toThrow(RangeError);
    expect(() => createAnnouncer({ store: h.store, service: 'Chat!', url: 'http://a:1' })).toThrow(TypeError);
    expect(() => createAnnouncer({ store: h.store, service: 'chat', url: 'file:///etc/passwd' })).toThrow(TypeError);
    expect(() => createAnnouncer({ store: h.store, service: 'chat', url: 'http://a:1/path' })).toThrow(TypeError);
  });

  it('watches the registry: instances per service sorted by URL, change reported once', async () => {
    const changes: RegistrySnapshot[] = [];
    const watcher = createRegistryWatcher({ store: h.store, intervalMs: 60_000, onChange: (s) => changes.push(s) });
    const b = createAnnouncer({ store: h.store, service: 'chat', url: 'http://10.0.0.2:80', instanceId: 'b', ttlMs: 60_000 });
    const a = createAnnouncer({ store: h.store, service: 'chat', url: 'http://10.0.0.1:80', instanceId: 'a', ttlMs: 60_000 });
    const f = createAnnouncer({ store: h.store, service: 'forum', url: 'http://10.0.0.3:80', instanceId: 'f', ttlMs: 60_000 });
    try {
      await Promise.all([b.start(), a.start(), f.start()]);
      const snapshot = await watcher.refresh();
      expect(snapshot.get('chat')?.map((r) => r.instanceId)).toEqual(['a', 'b']);
      expect(snapshot.get('forum')?.map((r) => r.url)).toEqual(['http://10.0.0.3:80']);
      expect(changes).toHaveLength(1);
      await watcher.refresh();
      expect(changes).toHaveLength(1);
      await a.stop();
      await watcher.refresh();
      expect(changes).toHaveLength(2);
      expect(watcher.current().get('chat')?.map((r) => r.instanceId)).toEqual(['b']);
    } finally {
      await Promise.all([a.stop(), b.stop(), f.stop()]);
    }
  });

  it('ignores malformed entries and entries whose key names another service', async () => {
    await h.store.set(registryKey('chat', 'junk'), 'not json', 60_000);
    await h.store.set(registryKey('chat', 'extra'), JSON.stringify({ service: 'chat', instanceId: 'extra', url: 'http://a:1', admin: true }), 60_000);
    await h.store.set(registryKey('auth', 'liar'), JSON.stringify({ service: 'chat', instanceId: 'liar', url: 'http://evil:1' }), 60_000);
    const good = createAnnouncer({ store: h.store, service: 'chat', url: 'http://good:1', instanceId: 'good', ttlMs: 60_000 });
    await good.start();
    try {
      const watcher = createRegistryWatcher({ store: h.store, onChange: () => undefined });
      const snapshot = await watcher.refresh();
      expect([...snapshot.keys()]).toEqual(['chat']);
      expect(snapshot.get('chat')?.map((r) => r.url)).toEqual(['http://good:1']);
    } finally {
      await good.stop();
      for (const key of [registryKey('chat', 'junk'), registryKey('chat', 'extra'), registryKey('auth', 'liar')]) await h.store.del(key);
    }
  });
});

describe('announcer heartbeat (memory store, manual time)', () => {
  it('keeps the entry alive past its TTL and retries after a failed beat', async () => {
    const clock = new ManualClock();
    const store = createMemoryStore({ prefix: `test:discovery:${randomUUID()}:`, clock });
    let failing = false;
    const errors: unknown[] = [];
    const flaky: KeyValueStore = { ...store, set: (key, value, ttlMs) => (failing ? Promise.reject(new Error('redis down')) : store.set(key, value, ttlMs)) };
    const announcer = createAnnouncer({ store: flaky, service: 'chat', url: 'http://10.0.0.1:80', instanceId: 'a', ttlMs: 300, onError: (err) => errors.push(err), clock });
    const key = registryKey('chat', 'a');
    const pass = (ms: number): Promise<void> => clock.advanceAsync(ms);
    try {
      await announcer.start();
      // The default period is a third of the TTL: ten periods later the entry is still there.
      for (let i = 0; i < 10; i++) await pass(100);
      expect(await store.get(key)).not.toBeNull();
      failing = true;
      await pass(100);
      expect(errors).toHaveLength(1);
      // The next beats succeed again; without them the entry would be gone 200 ms from here.
      failing = false;
      for (let i = 0; i < 6; i++) await pass(100);
      expect(await store.get(key)).not.toBeNull();
      await announcer.stop();
      await pass(1000);
      expect(await store.get(key)).toBeNull();
    } finally {
      await store.close();
    }
  });
});

describe('registry values', () => {
  it('refuses URLs that match the pattern but no URL parser accepts', () => {
    for (const url of ['http://[::1', 'http://a:99999']) expect(parseRegistration(JSON.stringify({ service: 'chat', instanceId: 'x', url }))).toBeUndefined();
    expect(parseRegistration(JSON.stringify({ service: 'chat', instanceId: 'x', url: 'http://[::1]:80' }))).toBeDefined();
  });
});

describe('registry watcher with a consumer that fails', () => {
  it('offers a change again on the next scan when onChange threw', async () => {
    const store = createMemoryStore({ prefix: `test:discovery:${randomUUID()}:` });
    const announcer = createAnnouncer({ store, service: 'chat', url: 'http://10.0.0.1:80', instanceId: 'a', ttlMs: 60_000 });
    await announcer.start();
    let fail = true;
    const changes: RegistrySnapshot[] = [];
    const watcher = createRegistryWatcher({
      store,
      onChange: (s) => {
        if (fail) throw new Error('consumer failed');
        changes.push(s);
      },
    });
    try {
      await expect(watcher.refresh()).rejects.toThrow('consumer failed');
      fail = false;
      await watcher.refresh();
      expect(changes).toHaveLength(1);
      expect(changes[0]!.get('chat')).toHaveLength(1);
    } finally {
      await announcer.stop();
      await store.close();
    }
  });
});

describe('registry watcher on a failing store', () => {
  it('keeps the last known instances and reports the error when a scan fails', async () => {
    const store = createMemoryStore({ prefix: `test:discovery:${randomUUID()}:` });
    const announcer = createAnnouncer({ store, service: 'chat', url: 'http://10.0.0.1:80', instanceId: 'a', ttlMs: 60_000 });
    await announcer.start();
    const errors: unknown[] = [];
    let failing = false;
    const flaky: KeyValueStore = { ...store, scan: (prefix) => (failing ? Promise.reject(new Error('redis down')) : store.scan(prefix)) };
    const changes: RegistrySnapshot[] = [];
    const watcher = createRegistryWatcher({ store: flaky, intervalMs: 60_000, onChange: (s) => changes.push(s), onError: (err) => errors.push(err) });
    await watcher.start();
    try {
      expect(watcher.current().get('chat')).toHaveLength(1);
      failing = true;
      await expect(watcher.refresh()).rejects.toThrow('redis down');
      expect(watcher.current().get('chat')).toHaveLength(1);
      expect(changes).toHaveLength(1);
      // start() scans once at once and reports (rather than throws) a failure.
      const second = createRegistryWatcher({ store: flaky, onChange: () => undefined, onError: (err) => errors.push(err) });
      await second.start();
      second.stop();
      expect(errors).toHaveLength(1);
    } finally {
      watcher.stop();
      await announcer.stop();
      await store.close();
    }
  });
});

/** A store whose scans answer when the test says, to interleave them at will. */
function scriptedStore(): { store: KeyValueStore; scans: Array<(entries: Array<{ key: string; value: string }>) => void>; sets: number } {
  const state = { scans: [] as Array<(entries: Array<{ key: string; value: string }>) => void>, sets: 0 };
  const store = {
    scan: () => new Promise<Array<{ key: string; value: string }>>((resolve) => state.scans.push(resolve)),
    set: async () => {
      state.sets += 1;
    },
    del: async () => undefined,
  } as unknown as KeyValueStore;
  return Object.assign(state, { store });
}

const entry = (instanceId: string, url: string) => ({ key: registryKey('chat', instanceId), value: JSON.stringify({ service: 'chat', instanceId, url }) });
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('registry watcher refreshes that overlap (regression: an older scan overwrote a newer one)', () => {
  it('runs one scan at a time, so a manual refresh during a tick cannot be overtaken by the older scan', async () => {
    const scripted = scriptedStore();
    const changes: string[][] = [];
    const watcher = createRegistryWatcher({ store: scripted.store, onChange: (s) => changes.push((s.get('chat') ?? []).map((r) => r.instanceId)) });
    const older = watcher.refresh();
    const newer = watcher.refresh();
    const newest = watcher.refresh();
    await flush();
    // The second and third calls share one follow-up scan, which waits for the first.
    expect(scripted.scans).toHaveLength(1);
    scripted.scans[0]!([entry('old', 'http://10.0.0.1:80')]);
    await older;
    await flush();
    expect(scripted.scans).toHaveLength(2);
    scripted.scans[1]!([entry('new', 'http://10.0.0.2:80')]);
    await Promise.all([newer, newest]);
    expect(watcher.current().get('chat')!.map((r) => r.instanceId)).toEqual(['new']);
    expect(changes).toEqual([['old'], ['new']]);
  });

  it('a refresh that fails does not block the next one', async () => {
    const store = { scan: vi.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValue([entry('a', 'http://10.0.0.1:80')]) } as unknown as KeyValueStore;
    const watcher = createRegistryWatcher({ store, onChange: () => undefined });
    const failing = watcher.refresh();
    const next = watcher.refresh();
    await expect(failing).rejects.toThrow('down');
    expect((await next).get('chat')).toHaveLength(1);
  });
});

describe('concurrent start() (regression: two starts leaked a heartbeat interval)', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
  });

  it('announcer: two starts share one heartbeat, and stop() ends it', async () => {
    const scripted = scriptedStore();
    const announcer = createAnnouncer({ store: scripted.store, service: 'chat', url: 'http://10.0.0.1:80', ttlMs: 3_000, intervalMs: 1_000, clock });
    await Promise.all([announcer.start(), announcer.start()]);
    expect(scripted.sets).toBe(1);
    clock.advance(3_000);
    expect(scripted.sets).toBe(4);
    await announcer.stop();
    clock.advance(3_000);
    expect(scripted.sets).toBe(4);
  });

  it('watcher: two starts share one interval', async () => {
    const store = { scan: vi.fn().mockResolvedValue([]) } as unknown as KeyValueStore;
    const watcher = createRegistryWatcher({ store, intervalMs: 1_000, onChange: () => undefined, clock });
    await Promise.all([watcher.start(), watcher.start()]);
    expect(store.scan).toHaveBeenCalledTimes(1);
    await clock.advanceAsync(3_000);
    expect(store.scan).toHaveBeenCalledTimes(4);
    watcher.stop();
  });

  it('watcher: start, stop and start again during the first scan leave one interval, which stop() ends', async () => {
    let release: () => void = () => undefined;
    const first = new Promise<[]>((resolve) => (release = () => resolve([])));
    const store = { scan: vi.fn().mockReturnValueOnce(first).mockResolvedValue([]) } as unknown as KeyValueStore;
    const watcher = createRegistryWatcher({ store, intervalMs: 1_000, onChange: () => undefined, clock });
    const a = watcher.start();
    watcher.stop();
    const b = watcher.start();
    release();
    await Promise.all([a, b]);
    const before = vi.mocked(store.scan).mock.calls.length;
    await clock.advanceAsync(1_000);
    expect(vi.mocked(store.scan).mock.calls.length - before).toBe(1);
    watcher.stop();
    await clock.advanceAsync(3_000);
    expect(vi.mocked(store.scan).mock.calls.length - before).toBe(1);
  });
});

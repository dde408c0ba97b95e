import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { createAnnouncer, registryKey, type Announcer } from '@realchat/discovery';
import type { KeyValueStore } from '@realchat/store';
import { makeKey, makeStore, startGateway, startUpstream, STORE_KINDS, tokenFor, type StoreKind, type TestGateway, type TestKey, type TestUpstream } from './helpers.js';

/** A store whose writes fail once `crashed` is set: the heartbeat of a process that died. */
function crashable(store: KeyValueStore): KeyValueStore & { crashed: boolean } {
  const wrapper = {
    crashed: false,
    get: (key: string) => store.get(key),
    set: (key: string, value: string, ttlMs?: number) => (wrapper.crashed ? Promise.reject(new Error('process gone')) : store.set(key, value, ttlMs)),
    del: (key: string) => (wrapper.crashed ? Promise.reject(new Error('process gone')) : store.del(key)),
    increment: (key: string, ttlMs: number, by?: number) => store.increment(key, ttlMs, by),
    scan: (prefix: string) => store.scan(prefix),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  return wrapper;
}

let key: TestKey;
let chatA: TestUpstream;
let chatB: TestUpstream;
let chatStatic: TestUpstream;

beforeAll(async () => {
  key = await makeKey();
  [chatA, chatB, chatStatic] = await Promise.all([startUpstream('chat-a'), startUpstream('chat-b'), startUpstream('chat-static')]);
});

afterAll(async () => {
  await Promise.all([chatA.close(), chatB.close(), chatStatic.close()]);
});

describe.each(STORE_KINDS)('service discovery (%s store)', (kind: StoreKind) => {
  // Memory: the announcer runs in the gateway's process on the same store, expiring by this clock.
  // Redis: the announcer is another process, with its own connection under the same prefix.
  let clock: ManualClock;
  let prefix: string;
  let gatewayStore: KeyValueStore;
  let serviceStore: KeyValueStore;
  const announcers: Announcer[] = [];
  const gateways: TestGateway[] = [];

  beforeAll(() => {
    clock = new ManualClock();
    prefix = `test:gateway:${randomUUID()}:`;
    gatewayStore = makeStore(kind, { prefix, clock });
    serviceStore = kind === 'memory' ? gatewayStore : makeStore(kind, { prefix });
  });

  afterEach(async () => {
    for (const a of announcers.splice(0)) await a.stop().catch(() => undefined);
    for (const gw of gateways.splice(0)) await gw.close();
  });

  afterAll(async () => {
    await gatewayStore.close();
    if (serviceStore !== gatewayStore) await serviceStore.close();
  });

  const gateway = async (upstreams: Record<string, string[]> = {}): Promise<TestGateway> => {
    const gw = await startGateway({ key, store: gatewayStore, config: { upstreams, discovery: { intervalMs: 60_000 } } });
    gateways.push(gw);
    return gw;
  };

  const announce = async (url: string, options: { store?: KeyValueStore; ttlMs?: number; intervalMs?: number; service?: string } = {}): Promise<Announcer> => {
    const announcer = createAnnouncer({ store: options.store ?? serviceStore, service: options.service ?? 'chat', url, ttlMs: options.ttlMs ?? 60_000, ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }) });
    await announcer.start();
    announcers.push(announcer);
    return announcer;
  };

  const call = async (gw: TestGateway): Promise<{ status: number; upstream: string | null; code?: string }> => {
    const res = await fetch(`${gw.url}/chat/me`, { headers: { authorization: `Bearer ${tokenFor(key)}` } });
    const body = (await res.json()) as { code?: string };
    return { status: res.status, upstream: res.headers.get('x-upstream'), ...(body.code === undefined ? {} : { code: body.code }) };
  };

  it('routes to an announced instance, spreads over several, and drops one that stops', async () => {
    const gw = await gateway();
    // A service nobody announced is not known at all.
    expect(await call(gw)).toMatchObject({ status: 404, code: 'ROUTE_NOT_FOUND' });

    const a = await announce(chatA.url);
    await gw.app.gateway.refreshRegistry();
    expect(await call(gw)).toMatchObject({ status: 200, upstream: 'chat-a' });

    await announce(`${chatB.url}/`);
    await gw.app.gateway.refreshRegistry();
    const seen = new Set<string | null>();
    for (let i = 0; i < 4; i++) seen.add((await call(gw)).upstream);
    expect(seen).toEqual(new Set(['chat-a', 'chat-b']));

    await a.stop();
    await gw.app.gateway.refreshRegistry();
    for (let i = 0; i < 3; i++) expect(await call(gw)).toMatchObject({ status: 200, upstream: 'chat-b' });
    await announcers.at(-1)!.stop();
    await gw.app.gateway.refreshRegistry();
    expect(await call(gw)).toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('picks up instances by its own polling, without being asked', async () => {
    const gw = await startGateway({ key, store: gatewayStore, config: { discovery: { intervalMs: 20 } } });
    gateways.push(gw);
    await announce(chatA.url);
    // Waits for the watcher's next scans; no refreshRegistry().
    for (let i = 0; i < 200 && (await call(gw)).status !== 200; i++) await sleep(10);
    expect(await call(gw)).toMatchObject({ status: 200, upstream: 'chat-a' });
  });

  it('drops an instance whose heartbeat stopped without a goodbye once its TTL lapses', async () => {
    const gw = await gateway();
    const ttlMs = kind === 'memory' ? 15_000 : 300;
    const dying = crashable(serviceStore);
    await announce(chatA.url, { store: dying, ttlMs, intervalMs: kind === 'memory' ? 5_000 : 100 });
    await gw.app.gateway.refreshRegistry();
    expect(await call(gw)).toMatchObject({ status: 200, upstream: 'chat-a' });

    dying.crashed = true;
    if (kind === 'memory') {
      clock.advance(ttlMs - 1);
      await gw.app.gateway.refreshRegistry();
      expect(await call(gw)).toMatchObject({ status: 200, upstream: 'chat-a' });
      clock.advance(1);
      await gw.app.gateway.refreshRegistry();
    } else {
      // Redis expires by its own time: wait for the key to go (bounded), then rescan.
      const announced = registryKey('chat', announcers.at(-1)!.registration.instanceId);
      for (let i = 0; i < 100 && (await gatewayStore.get(announced)) !== null; i++) await sleep(20);
      await gw.app.gateway.refreshRegistry();
    }
    expect(await call(gw)).toMatchObject({ status: 503, code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('keeps static upstreams while announced instances come and go', async () => {
    const gw = await gateway({ chat: [chatStatic.url] });
    expect(await call(gw)).toMatchObject({ status: 200, upstream: 'chat-static' });
    const a = await announce(chatA.url);
    await gw.app.gateway.refreshRegistry();
    const seen = new Set<string | null>();
    for (let i = 0; i < 4; i++) seen.add((await call(gw)).upstream);
    expect(seen).toEqual(new Set(['chat-static', 'chat-a']));
    await a.stop();
    await gw.app.gateway.refreshRegistry();
    for (let i = 0; i < 3; i++) expect(await call(gw)).toMatchObject({ status: 200, upstream: 'chat-static' });
    expect(gw.app.gateway.pools.get('chat')!.instances.map((i) => i.url)).toEqual([chatStatic.url]);
  });

  it('keeps discovering when an instance announces a URL the gateway cannot proxy to (https)', async () => {
    const gw = await gateway();
    await serviceStore.set(registryKey('chat', 'tls'), JSON.stringify({ service: 'chat', instanceId: 'tls', url: 'https://chat.internal:8443' }), 60_000);
    try {
      await announce(chatA.url);
      await gw.app.gateway.refreshRegistry();
      expect(await call(gw)).toMatchObject({ status: 200, upstream: 'chat-a' });
      expect(gw.app.gateway.pools.get('chat')!.instances.map((i) => i.url)).toEqual([chatA.url]);
    } finally {
      await serviceStore.del(registryKey('chat', 'tls'));
    }
  });

  it('regression: is not ready while a required service has no instance registered yet, and says which', async () => {
    const gw = await startGateway({ key, store: gatewayStore, config: { discovery: { intervalMs: 60_000 }, requiredServices: ['chat'] } });
    gateways.push(gw);
    await gw.app.gateway.refreshRegistry();
    const before = await fetch(`${gw.url}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ status: 'not_ready', checks: { upstreams: { ok: false, error: 'UPSTREAM_UNAVAILABLE' }, 'upstream:chat': { ok: false, error: 'NO_INSTANCE' } } });
    await announce(chatA.url);
    await gw.app.gateway.refreshRegistry();
    const after = await fetch(`${gw.url}/readyz`);
    expect(after.status).toBe(200);
    const body = (await after.json()) as { checks: Record<string, unknown> };
    expect(body.checks).toMatchObject({ upstreams: { ok: true }, 'upstream:chat': { ok: true, instances: 1, available: 1 } });
    // Services that are not required (nothing registered for them) do not hold readiness back.
    expect(body.checks).not.toHaveProperty('upstream:forum');
  });

  it('requires the static services and those named, every known service with `all`, with the reason per service', async () => {
    const gw = await gateway({ chat: [chatStatic.url] });
    await gw.app.gateway.checkUpstreams();
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    const named = await startGateway({ key, store: gatewayStore, config: { upstreams: { chat: [chatStatic.url] }, discovery: { intervalMs: 60_000 }, requiredServices: ['auth'] } });
    gateways.push(named);
    const res = await fetch(`${named.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, unknown> };
    expect(body.checks).toMatchObject({ 'upstream:chat': { ok: true }, 'upstream:auth': { ok: false, error: 'NO_INSTANCE' } });
    expect(body.checks).not.toHaveProperty('upstream:forum');
    // With `all`, a registered service whose only instance is down holds readiness back too.
    const all = await startGateway({ key, store: gatewayStore, config: { upstreams: { chat: [chatStatic.url] }, discovery: { intervalMs: 60_000 }, requiredServices: 'all' } });
    gateways.push(all);
    await announce('http://127.0.0.1:1', { service: 'forum' });
    await all.app.gateway.refreshRegistry();
    await all.app.gateway.checkUpstreams();
    const allReady = await fetch(`${all.url}/readyz`);
    expect(allReady.status).toBe(503);
    expect(await allReady.json()).toMatchObject({ checks: { upstreams: { ok: false, error: 'UPSTREAM_UNAVAILABLE' } } });
    expect(all.app.gateway.pools.get('forum')?.availableCount()).toBe(0);
  });

  it('ignores registry entries that are malformed or claim another service', async () => {
    const gw = await gateway();
    await serviceStore.set(registryKey('chat', 'bad-json'), '{not json', 60_000);
    await serviceStore.set(registryKey('chat', 'bad-url'), JSON.stringify({ service: 'chat', instanceId: 'bad-url', url: 'file:///etc/passwd' }), 60_000);
    // A key under forum claiming to be chat: only the key's own service may fill its pool.
    await serviceStore.set(registryKey('forum', 'liar'), JSON.stringify({ service: 'chat', instanceId: 'liar', url: chatA.url }), 60_000);
    try {
      await gw.app.gateway.refreshRegistry();
      expect(await call(gw)).toMatchObject({ status: 404 });
      expect(gw.app.gateway.pools.get('chat')?.instances ?? []).toEqual([]);
      expect(gw.app.gateway.pools.get('forum')?.instances ?? []).toEqual([]);
    } finally {
      for (const id of ['bad-json', 'bad-url']) await serviceStore.del(registryKey('chat', id));
      await serviceStore.del(registryKey('forum', 'liar'));
    }
  });
});

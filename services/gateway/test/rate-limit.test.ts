import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { createRedisStore, type KeyValueStore } from '@realchat/store';
import type { GatewayConfig } from '../src/index.js';
import { makeKey, makeStore, startGateway, startUpstream, STORE_KINDS, tokenFor, userClaims, wsConnect, type StoreKind, type TestGateway, type TestKey, type TestUpstream } from './helpers.js';

const WINDOW_MS = 60_000;

/** The status of a login through the gateway at `url`, as forwarded for client address `xff`. */
function loginStatusFrom(url: string, xff: string): Promise<number> {
  return fetch(`${url}/auth/login`, { method: 'POST', headers: { 'x-forwarded-for': xff } }).then((r) => r.status);
}

let key: TestKey;
let auth: TestUpstream;
let chat: TestUpstream;

beforeAll(async () => {
  key = await makeKey();
  [auth, chat] = await Promise.all([startUpstream('auth'), startUpstream('chat')]);
});

afterAll(async () => {
  await Promise.all([auth.close(), chat.close()]);
});

describe.each(STORE_KINDS)('edge rate limits (%s store)', (kind: StoreKind) => {
  const opened: Array<{ close(): Promise<void> }> = [];
  // Every gateway of a test shares one manual clock, so all count in the same fixed window.
  let clock: ManualClock;

  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
  });

  /** A store for one test; with `prefix`, Redis stores share their keys as separate processes would. */
  const store = (prefix?: string): KeyValueStore => {
    const made = makeStore(kind, { clock, ...(prefix === undefined ? {} : { prefix }) });
    opened.push(made);
    return made;
  };

  const gateway = async (config: Partial<GatewayConfig>, kv: KeyValueStore = store()): Promise<TestGateway> => {
    const gw = await startGateway({ key, clock, store: kv, config: { upstreams: { auth: [auth.url], chat: [chat.url] }, ...config } });
    opened.push(gw);
    return gw;
  };

  const ipOnly = (limit: number): Partial<GatewayConfig> => ({ rateLimit: { ip: { limit, windowMs: WINDOW_MS }, user: false } });

  // Starts on a window boundary and never crosses one by itself; stores have random prefixes.
  const freshClock = (): ManualClock => new ManualClock(Date.UTC(2026, 0, 1));

  it('answers 429 problem+json with Retry-After and RateLimit headers once the per-IP limit is spent, without reaching the upstream', async () => {
    clock = freshClock();
    const gw = await gateway(ipOnly(3));
    for (const remaining of [2, 1, 0]) {
      const res = await fetch(`${gw.url}/auth/login`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      expect(res.headers.get('ratelimit-remaining')).toBe(String(remaining));
      expect(Number(res.headers.get('ratelimit-reset'))).toBe(WINDOW_MS / 1000);
    }
    const before = auth.seen.length;
    const res = await fetch(`${gw.url}/auth/login`, { method: 'POST' });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(res.headers.get('ratelimit-limit')).toBe('3');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('ratelimit-reset'))).toBe(retryAfter);
    expect(auth.seen.length).toBe(before);

    // Probes are never limited; the limit applies across prefixes; time lets the client back in.
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/chat/x`, { headers: { authorization: `Bearer ${tokenFor(key)}` } })).status).toBe(429);
    clock.advance(retryAfter * 1000);
    expect((await fetch(`${gw.url}/auth/login`, { method: 'POST' })).status).toBe(200);
  });

  it('counts WebSocket upgrades against the same per-IP limit', async () => {
    clock = freshClock();
    const gw = await gateway(ipOnly(2));
    expect((await fetch(`${gw.url}/auth/login`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${gw.url}/auth/login`, { method: 'POST' })).status).toBe(200);
    const upgrade = await wsConnect(gw.url, '/chat/ws');
    expect('status' in upgrade && upgrade.status).toBe(429);
    expect('status' in upgrade && upgrade.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
  });

  it('counts WebSocket upgrades against the same per-user limit', async () => {
    clock = freshClock();
    const gw = await gateway({ rateLimit: { ip: { limit: 100, windowMs: WINDOW_MS }, user: { limit: 1, windowMs: WINDOW_MS } } });
    const sub = randomUUID();
    expect((await fetch(`${gw.url}/chat/me`, { headers: { authorization: `Bearer ${tokenFor(key, userClaims({ sub }))}` } })).status).toBe(200);
    const before = chat.seen.length;
    const upgrade = await wsConnect(gw.url, '/chat/live', { authorization: `Bearer ${tokenFor(key, userClaims({ sub }))}` });
    expect('status' in upgrade && upgrade.status).toBe(429);
    expect(chat.seen.length).toBe(before);
  });

  it("limits each user by the token's subject, whatever token or address they use", async () => {
    clock = freshClock();
    const gw = await gateway({ rateLimit: { ip: { limit: 100, windowMs: WINDOW_MS }, user: { limit: 2, windowMs: WINDOW_MS } } });
    const alice = randomUUID();
    const call = (sub: string): Promise<Response> => fetch(`${gw.url}/chat/me`, { headers: { authorization: `Bearer ${tokenFor(key, userClaims({ sub }))}` } });
    const first = await call(alice);
    expect(first.status).toBe(200);
    // The closer limit is advertised: the user's, not the IP's.
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect((await call(alice)).status).toBe(200);
    // A new token (new jti, new session) for the same subject shares the count.
    const third = await call(alice);
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(third.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    // Another user from the same address is not affected; anonymous public calls neither.
    expect((await call(randomUUID())).status).toBe(200);
    expect((await fetch(`${gw.url}/auth/login`, { method: 'POST' })).status).toBe(200);
  });

  it(kind === 'redis' ? 'shares the counts between gateway instances on one Redis' : 'counts per instance on the memory store (embedded: one instance)', async () => {
    clock = freshClock();
    const prefix = `test:gateway:${randomUUID()}:`;
    const limits: Partial<GatewayConfig> = { rateLimit: { ip: { limit: 4, windowMs: WINDOW_MS }, user: { limit: 3, windowMs: WINDOW_MS } } };
    const a = await gateway(limits, store(prefix));
    const b = await gateway(limits, store(prefix));

    const ipStatuses: number[] = [];
    for (let i = 0; i < 10; i++) ipStatuses.push((await fetch(`${(i % 2 === 0 ? a : b).url}/auth/login`, { method: 'POST' })).status);
    const allowed = ipStatuses.filter((s) => s === 200).length;
    expect(ipStatuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(allowed).toBe(kind === 'redis' ? 4 : 8);
    if (kind === 'redis') expect(ipStatuses.slice(0, 4)).toEqual([200, 200, 200, 200]);

    // Per-user counts are shared too; this pair allows more per IP, the bucket above being spent.
    const c = await gateway({ rateLimit: { ip: { limit: 100, windowMs: WINDOW_MS }, user: { limit: 3, windowMs: WINDOW_MS } } }, store(prefix));
    const d = await gateway({ rateLimit: { ip: { limit: 100, windowMs: WINDOW_MS }, user: { limit: 3, windowMs: WINDOW_MS } } }, store(prefix));
    const sub = randomUUID();
    const userStatuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${(i % 2 === 0 ? c : d).url}/chat/me`, { headers: { authorization: `Bearer ${tokenFor(key, userClaims({ sub }))}` } });
      userStatuses.push(res.status);
    }
    expect(userStatuses).toEqual(kind === 'redis' ? [200, 200, 200, 429, 429, 429] : [200, 200, 200, 200, 200, 200]);
  });

  it('ignores a forged X-Forwarded-For when no proxy is trusted', async () => {
    clock = freshClock();
    const gw = await gateway(ipOnly(3));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await loginStatusFrom(gw.url, `198.51.100.${i}`));
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('limits the client address from X-Forwarded-For when the peer is a trusted proxy', async () => {
    clock = freshClock();
    const gw = await gateway({ ...ipOnly(2), trustProxy: ['127.0.0.1'] });
    const from = (xff: string): Promise<number> => loginStatusFrom(gw.url, xff);
    expect(await from('203.0.113.1')).toBe(200);
    expect(await from('203.0.113.1')).toBe(200);
    expect(await from('203.0.113.1')).toBe(429);
    // Another client behind the same proxy has its own bucket.
    expect(await from('203.0.113.2')).toBe(200);
    // Addresses the client prepends itself are not trusted: the proxy's view (the last hop) counts.
    expect(await from('10.9.9.9, 203.0.113.1')).toBe(429);
    expect(await from('10.9.9.8, 203.0.113.2')).toBe(200);
    expect(await from('10.9.9.7, 203.0.113.2')).toBe(429);
  });

  it('regression: limits an IPv6 client by its /64, so rotating addresses inside it does not reset the count (HTTP and WebSocket)', async () => {
    clock = freshClock();
    const gw = await gateway({ ...ipOnly(2), trustProxy: ['127.0.0.1'] });
    const from = (xff: string): Promise<number> => loginStatusFrom(gw.url, xff);
    expect(await from('2001:db8:1:2::1')).toBe(200);
    expect(await from('2001:db8:1:2::2')).toBe(200);
    expect(await from('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(429);
    const upgrade = await wsConnect(gw.url, '/chat/ws', { 'x-forwarded-for': '2001:db8:1:2::3' });
    expect('status' in upgrade && upgrade.status).toBe(429);
    // The next /64 is another subscriber.
    expect(await from('2001:db8:1:3::1')).toBe(200);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', async () => {
    clock = freshClock();
    const gw = await gateway({ ...ipOnly(2), trustProxy: ['127.0.0.1'] });
    const from = (xff: string): Promise<number> => loginStatusFrom(gw.url, xff);
    expect(await from('203.0.113.7')).toBe(200);
    expect(await from('::ffff:203.0.113.7')).toBe(200);
    expect(await from('203.0.113.7')).toBe(429);
    // Its IPv6 neighbours in ::ffff:0:0/96 are other IPv4 clients, not one /64.
    expect(await from('::ffff:203.0.113.8')).toBe(200);
  });
});

describe('rate limits during a Redis outage', () => {
  it('let requests and upgrades through rather than failing them', async () => {
    const down = createRedisStore({ url: 'redis://127.0.0.1:1', prefix: `test:gateway:${randomUUID()}:` });
    const gw = await startGateway({ key, store: down, config: { upstreams: { auth: [auth.url], chat: [chat.url] }, rateLimit: { ip: { limit: 1, windowMs: WINDOW_MS }, user: { limit: 1, windowMs: WINDOW_MS } } } });
    try {
      // Each failed store command costs a reconnect attempt: one request of each kind is enough.
      const res = await fetch(`${gw.url}/chat/me`, { headers: { authorization: `Bearer ${tokenFor(key)}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
      // The chat test upstream is no WebSocket server: reaching it at all (its echo) is the point.
      const upgrade = await wsConnect(gw.url, '/chat/live', { authorization: `Bearer ${tokenFor(key)}` });
      expect('status' in upgrade && upgrade.status).toBe(200);
      expect('status' in upgrade && (JSON.parse(upgrade.body) as { upstream: string }).upstream).toBe('chat');
    } finally {
      await gw.close();
      await down.close();
    }
  });
});

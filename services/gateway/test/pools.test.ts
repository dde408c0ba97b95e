import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { makeKey, startGateway, startUpstream, tokenFor, type TestGateway, type TestUpstream } from './helpers.js';

const key = await makeKey();
const auth = { authorization: `Bearer ${tokenFor(key)}` };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function upstreams(n: number, name = 'chat'): Promise<TestUpstream[]> {
  const list = await Promise.all(Array.from({ length: n }, () => startUpstream(name)));
  for (const u of list) cleanups.push(() => u.close());
  return list;
}

async function gateway(config: Parameters<typeof startGateway>[0]['config'], clock?: ManualClock): Promise<TestGateway> {
  const gw = await startGateway({ key, config, ...(clock === undefined ? {} : { clock }) });
  cleanups.push(() => gw.close());
  return gw;
}

describe('upstream pools', () => {
  it('balances round robin over the instances', async () => {
    const [a, b] = await upstreams(2);
    const gw = await gateway({ upstreams: { chat: [a!.url, b!.url] } });
    for (let i = 0; i < 6; i++) expect((await fetch(`${gw.url}/chat/x`, { headers: auth })).status).toBe(200);
    // The docs merger also fetches /chat/openapi.json from some instance: count the proxied requests only.
    expect(a!.seen.filter((s) => s.url === '/chat/x')).toHaveLength(3);
    expect(b!.seen.filter((s) => s.url === '/chat/x')).toHaveLength(3);
  });

  it('keeps serving when one of two instances is killed (retry, passive ejection, active health)', async () => {
    const [a, b] = await upstreams(2);
    const gw = await gateway({ upstreams: { chat: [a!.url, b!.url] }, ejection: { consecutiveFailures: 1, cooloffMs: 60_000 } });
    expect((await fetch(`${gw.url}/chat/x`, { headers: auth })).status).toBe(200);
    await b!.close();
    for (let i = 0; i < 10; i++) expect((await fetch(`${gw.url}/chat/x`, { headers: auth })).status).toBe(200);
    const pool = gw.app.gateway.pools.get('chat')!;
    expect(pool.availableCount()).toBe(1);
    // Active checks mark it unhealthy as well, so it stays out after the cool-off.
    await gw.app.gateway.checkUpstreams();
    expect(pool.instances.find((i) => i.url === b!.url)?.healthy).toBe(false);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_proxy_errors_total\{service="chat",kind="connect"\} [1-9]/);
  });

  it('re-admits an instance that comes back, after the health threshold', async () => {
    const [a] = await upstreams(1);
    const port = Number(new URL(a!.url).port);
    const gw = await gateway({ upstreams: { chat: [a!.url] } });
    await a!.close();
    await gw.app.gateway.checkUpstreams();
    expect((await fetch(`${gw.url}/chat/x`, { headers: auth })).status).toBe(503);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    const back = await startUpstream('chat', port);
    cleanups.push(() => back.close());
    await gw.app.gateway.checkUpstreams();
    expect((await fetch(`${gw.url}/chat/x`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
  });

  it('ejects an instance after consecutive 5xx answers and re-admits it after the cool-off', async () => {
    const [a, b] = await upstreams(2);
    const clock = new ManualClock();
    const gw = await gateway({ upstreams: { chat: [a!.url, b!.url] }, ejection: { consecutiveFailures: 2, cooloffMs: 300 } }, clock);
    // Both answer 500 to /boom: after two each, both are out.
    for (let i = 0; i < 4; i++) expect((await fetch(`${gw.url}/chat/boom`, { headers: auth })).status).toBe(500);
    const res = await fetch(`${gw.url}/chat/x`, { headers: auth });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    clock.advance(299);
    expect((await fetch(`${gw.url}/chat/x`, { headers: auth })).status).toBe(503);
    clock.advance(1);
    expect((await fetch(`${gw.url}/chat/x`, { headers: auth })).status).toBe(200);
  });

  it('answers 504 UPSTREAM_TIMEOUT when an upstream is too slow', async () => {
    const [a] = await upstreams(1);
    const gw = await gateway({ upstreams: { chat: [a!.url] }, proxy: { timeoutMs: 150, maxAttempts: 2 } });
    const started = Date.now();
    const res = await fetch(`${gw.url}/chat/slow`, { headers: auth });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('answers 503 UPSTREAM_UNAVAILABLE when no instance is up', async () => {
    const gw = await gateway({ upstreams: { chat: ['http://127.0.0.1:1'] } });
    const res = await fetch(`${gw.url}/chat/x`, { headers: auth });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('does not retry a non-idempotent request on another instance', async () => {
    const [a] = await upstreams(1);
    const gw = await gateway({ upstreams: { chat: ['http://127.0.0.1:1', a!.url] }, ejection: { consecutiveFailures: 5, cooloffMs: 1000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) {
      statuses.push((await fetch(`${gw.url}/chat/x`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).status);
    }
    // Round robin sends one of the two POSTs to the dead instance: it fails instead of being replayed.
    expect(statuses.sort()).toEqual([200, 503]);
    expect(a!.seen.filter((s) => s.method === 'POST').length).toBe(1);
  });
});

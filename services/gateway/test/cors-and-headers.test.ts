import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, startGateway, startUpstream, tokenFor, type TestGateway, type TestKey, type TestUpstream } from './helpers.js';

const ALLOWED = 'https://app.realchat.test';
const EVIL = 'https://evil.test';

let key: TestKey;
let auth: TestUpstream;
let chat: TestUpstream;
let gw: TestGateway;
let hsts: TestGateway;

beforeAll(async () => {
  key = await makeKey();
  [auth, chat] = await Promise.all([startUpstream('auth'), startUpstream('chat')]);
  const upstreams = { auth: [auth.url], chat: [chat.url] };
  gw = await startGateway({ key, config: { upstreams, corsOrigins: [ALLOWED] } });
  hsts = await startGateway({ key, config: { upstreams, hsts: { maxAgeSec: 31_536_000, includeSubDomains: true } } });
});

afterAll(async () => {
  await Promise.all([gw.close(), hsts.close()]);
  await Promise.all([auth.close(), chat.close()]);
});

describe('CORS', () => {
  it('allows a configured origin with credentials and exposes the headers clients read', async () => {
    const res = await fetch(`${gw.url}/chat/me`, { headers: { origin: ALLOWED, authorization: `Bearer ${tokenFor(key)}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('chat');
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/origin/i);
    const exposed = (res.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'retry-after', 'ratelimit-remaining', 'www-authenticate']));
  });

  it("keeps the upstream's Vary beside the gateway's Origin, so caches key on both", async () => {
    const res = await fetch(`${gw.url}/chat/me`, { headers: { origin: ALLOWED, authorization: `Bearer ${tokenFor(key)}` } });
    const vary = (res.headers.get('vary') ?? '').split(',').map((t) => t.trim().toLowerCase());
    expect(vary).toEqual(expect.arrayContaining(['accept-encoding', 'origin']));
  });

  it('gives a disallowed origin no CORS headers', async () => {
    const res = await fetch(`${gw.url}/auth/login`, { method: 'POST', headers: { origin: EVIL } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets an allowed browser read error answers (401 with its challenge)', async () => {
    const res = await fetch(`${gw.url}/chat/me`, { headers: { origin: ALLOWED } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/www-authenticate/i);
  });

  it('answers a preflight for a protected route without a token and without proxying it', async () => {
    const before = chat.seen.length;
    const res = await fetch(`${gw.url}/chat/conversations`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect((res.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('authorization');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(chat.seen.length).toBe(before);
  });

  it('gives a preflight from a disallowed origin no permission', async () => {
    const res = await fetch(`${gw.url}/chat/conversations`, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('allows no origin at all when none is configured', async () => {
    const res = await fetch(`${hsts.url}/auth/login`, { method: 'POST', headers: { origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('security headers', () => {
  const expectApiHeaders = (res: Response): void => {
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-site');
  };

  it('are on every API answer: proxied, gateway errors, probes, preflights', async () => {
    const answers = await Promise.all([
      fetch(`${gw.url}/auth/login`, { method: 'POST' }),
      fetch(`${gw.url}/chat/me`),
      fetch(`${gw.url}/nowhere`, { headers: { authorization: `Bearer ${tokenFor(key)}` } }),
      fetch(`${gw.url}/healthz`),
      fetch(`${gw.url}/openapi.json`),
      fetch(`${gw.url}/chat/x`, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'GET' } }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 401, 404, 200, 200, 204]);
    for (const res of answers) {
      expectApiHeaders(res);
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('replace an upstream’s weaker framing policy on proxied answers', async () => {
    // The test upstream sends x-frame-options: SAMEORIGIN.
    const res = await fetch(`${gw.url}/auth/login`, { method: 'POST' });
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('include HSTS only when configured', async () => {
    for (const path of ['/auth/login', '/nowhere', '/healthz']) {
      const res = await fetch(`${hsts.url}${path}`, { method: path === '/auth/login' ? 'POST' : 'GET' });
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expectApiHeaders(res);
    }
  });

  it('give /docs its own CSP that lets the page load its scripts and styles', async () => {
    const res = await fetch(`${gw.url}/docs`, { redirect: 'manual' });
    expect(res.status).toBeLessThan(400);
    const page = res.status === 200 ? res : await fetch(new URL(res.headers.get('location')!, `${gw.url}/docs`));
    expect(page.status).toBe(200);
    for (const r of [res, page]) {
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("default-src 'none'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, rawRequest, startGateway, startUpstream, tokenFor, type TestGateway, type TestUpstream } from './helpers.js';

/**
 * Regression: an absolute-form target (`GET http://x/metrics`) and other spellings of a path
 * reached what the canonical spelling is refused. Every spelling now gets the canonical's answer,
 * and the upstream receives the normalised path (query untouched).
 */
let auth: TestUpstream;
let chat: TestUpstream;
let gw: TestGateway;
let token: string;
const DISALLOWED = { 'x-forwarded-for': '203.0.113.9' };
const ALLOWED = { 'x-forwarded-for': '10.20.1.1' };

beforeAll(async () => {
  const key = await makeKey();
  auth = await startUpstream('auth');
  chat = await startUpstream('chat');
  gw = await startGateway({ key, config: { upstreams: { auth: [auth.url], chat: [chat.url] }, trustProxy: ['127.0.0.1'], metricsAllow: ['10.20.0.0/16'] } });
  token = tokenFor(key);
});

afterAll(async () => {
  await gw.close();
  await auth.close();
  await chat.close();
});

const INTERNAL = [
  '/internal/users/1',
  'http://x/internal/users/1',
  'HTTP://X/internal/users/1',
  'http://x:80/internal/users/1?a=b',
  '/%69nternal/users/1',
  '/intern%61l/users/1',
  '/internal%2Fusers/1',
  '//internal/users/1',
  '/auth/../internal/users/1',
  '/auth/%2e%2e/internal/users/1',
  '/./internal/users/1',
  '/INTERNAL/users/1',
  '/Internal',
  '/internal;x/users/1',
  '/internal;x',
  '/\\internal/users/1',
];

const METRICS = ['/metrics', 'http://x/metrics', 'HTTP://X/metrics', '/Metrics', '/METRICS', '/metrics;x', '/metrics/', '//metrics', '/./metrics', '/%6detrics', '/auth/../metrics', '/\\metrics'];

const PROTECTED = ['/auth/me', '/auth//me', 'http://x/auth/me', 'HTTP://X/auth/me', '/auth/./me', '/chat/../auth/me', '/%61uth/me', '/auth;x/me', '/auth/me;x', '/\\auth\\me', '/oauth/%2e%2e/auth/me'];

describe('every spelling of a path gets the answer of its canonical spelling', () => {
  it('hides /internal in every spelling, with a token or without', async () => {
    const before = auth.seen.length + chat.seen.length;
    for (const path of INTERNAL) {
      for (const headers of [{}, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
        const res = await rawRequest(gw.url, path, headers);
        expect([path, res.status, res.headers['content-type']?.split(';')[0]]).toEqual([path, 404, 'application/problem+json']);
      }
    }
    expect(auth.seen.length + chat.seen.length).toBe(before);
  });

  it('answers /metrics in every spelling only to the allowed addresses', async () => {
    for (const path of METRICS) {
      const res = await rawRequest(gw.url, path, DISALLOWED);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.body).not.toContain('gateway_');
    }
    for (const path of ['http://x/metrics', '/metrics;x', '//metrics', '/%6detrics']) {
      const res = await rawRequest(gw.url, path, ALLOWED);
      expect([path, res.status]).toEqual([path, 200]);
    }
  });

  it('asks for a token on a protected route in every spelling, before any upstream sees it', async () => {
    const before = auth.seen.length;
    for (const path of PROTECTED) {
      const res = await rawRequest(gw.url, path);
      expect([path, res.status, res.headers['www-authenticate']]).toEqual([path, 401, 'Bearer realm="realchat"']);
    }
    expect(auth.seen.length).toBe(before);
  });

  it('forwards the normalised path upstream and keeps the query as sent', async () => {
    const cases: [string, string][] = [
      ['http://x/chat/a?q=1', '/chat/a?q=1'],
      ['HTTP://X:8080/chat/a', '/chat/a'],
      ['//chat///a/./b/../c;x?q=%2F..', '/chat/a/c?q=%2F..'],
      ['/%63hat/%61%2Fb%20c', '/chat/a%2Fb%20c'],
      ['/chat\\a', '/chat/a'],
      ['/chat/a/', '/chat/a/'],
    ];
    for (const [sent, received] of cases) {
      const res = await rawRequest(gw.url, sent, { authorization: `Bearer ${token}` });
      expect([sent, res.status]).toEqual([sent, 200]);
      expect([sent, (JSON.parse(res.body) as { url: string }).url]).toEqual([sent, received]);
    }
    const login = await rawRequest(gw.url, 'HTTP://X/auth//login', {}, 'POST');
    expect([login.status, (JSON.parse(login.body) as { url: string }).url]).toEqual([200, '/auth/login']);
  });

  it('judges a WebSocket handshake on the same normalised path', async () => {
    const upgrade = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    for (const path of ['http://x/internal/ws', '/INTERNAL/ws', '/chat/../internal/ws', '/internal;x/ws']) {
      expect([path, (await rawRequest(gw.url, path, { ...upgrade, authorization: `Bearer ${token}` })).status]).toEqual([path, 404]);
    }
    for (const path of ['HTTP://X/chat/live', '//chat/live', '/chat;x/live']) expect([path, (await rawRequest(gw.url, path, upgrade)).status]).toEqual([path, 401]);
  });

  it('refuses a target it cannot normalise with a 400 problem', async () => {
    for (const path of ['/chat/%zz', '/chat/a%2', 'ftp://x/chat/a', '/chat/%00']) {
      const res = await rawRequest(gw.url, path, { authorization: `Bearer ${token}` });
      expect([path, res.status, res.headers['content-type']?.split(';')[0]]).toEqual([path, 400, 'application/problem+json']);
    }
  });
});

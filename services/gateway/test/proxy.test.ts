import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, rawRequest, startGateway, startUpstream, tokenFor, type TestGateway, type TestKey, type TestUpstream } from './helpers.js';

let key: TestKey;
let auth: TestUpstream;
let chat: TestUpstream;
let gw: TestGateway;
let token: string;

beforeAll(async () => {
  key = await makeKey();
  auth = await startUpstream('auth');
  chat = await startUpstream('chat');
  gw = await startGateway({ key, config: { upstreams: { auth: [auth.url], chat: [chat.url] }, bodyLimit: 256 * 1024 } });
  token = tokenFor(key);
});

afterAll(async () => {
  await gw.close();
  await auth.close();
  await chat.close();
});

const bearer = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('routing', () => {
  it('routes by prefix and never rewrites the path or query', async () => {
    const res = await fetch(`${gw.url}/chat/conversations/42/messages?before=10&limit=5`, { headers: bearer() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { upstream: string; url: string };
    expect(body).toMatchObject({ upstream: 'chat', url: '/chat/conversations/42/messages?before=10&limit=5' });
    const login = await fetch(`${gw.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@b.c"}' });
    expect(await login.json()).toMatchObject({ upstream: 'auth', url: '/auth/login', method: 'POST', body: '{"email":"a@b.c"}' });
    const jwks = await fetch(`${gw.url}/.well-known/jwks.json`);
    expect(await jwks.json()).toMatchObject({ upstream: 'auth', url: '/.well-known/jwks.json' });
  });

  it('matches whole path segments only', async () => {
    const res = await fetch(`${gw.url}/chatty/x`, { headers: bearer() });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('never routes /internal from outside', async () => {
    const before = auth.seen.length;
    for (const path of ['/internal/users/1', '/internal', '/%69nternal/users/1']) {
      const res = await fetch(`${gw.url}${path}`, { headers: bearer() });
      expect(res.status).toBe(404);
    }
    expect(auth.seen.length).toBe(before);
  });

  it('resolves dot segments so the edge and the service judge the same path', async () => {
    const before = chat.seen.length + auth.seen.length;
    for (const path of ['/oauth/%2e%2e/chat/x', '/oauth/../chat/x', '/auth/register/./x']) {
      const res = await rawRequest(gw.url, path);
      expect([path, res.status]).toEqual([path, 401]);
    }
    expect(chat.seen.length + auth.seen.length).toBe(before);
  });

  it('streams request and response bodies', async () => {
    const big = 'x'.repeat(200 * 1024);
    const res = await fetch(`${gw.url}/chat/upload`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'text/plain' }, body: big });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { body: string };
    expect(body.body.length).toBe(big.length);
  });

  it('refuses bodies over the limit with 413, declared or chunked', async () => {
    const big = 'x'.repeat(300 * 1024);
    const declared = await fetch(`${gw.url}/chat/upload`, { method: 'POST', headers: { ...bearer(), 'content-type': 'text/plain' }, body: big });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 30; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(16 * 1024)));
        controller.close();
      },
    });
    const chunked = await fetch(`${gw.url}/chat/upload`, { method: 'POST', headers: { ...bearer(), 'content-type': 'text/plain' }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
  });
});

describe('headers', () => {
  it('strips client identity headers and forwards Authorization unchanged', async () => {
    const res = await fetch(`${gw.url}/chat/me`, {
      headers: { ...bearer(), 'x-user-id': 'admin', 'x-user-roles': 'ADMIN', 'x-principal': 'root', 'x-client-id': 'auth', 'x-session-id': 's', 'x-custom': 'kept' },
    });
    const { headers } = (await res.json()) as { headers: Record<string, string> };
    for (const name of ['x-user-id', 'x-user-roles', 'x-principal', 'x-client-id', 'x-session-id']) expect(headers[name]).toBeUndefined();
    expect(headers['authorization']).toBe(`Bearer ${token}`);
    expect(headers['x-custom']).toBe('kept');
  });

  it('keeps a well-formed x-request-id, replaces a bad one, and echoes it', async () => {
    const kept = await fetch(`${gw.url}/chat/a`, { headers: { ...bearer(), 'x-request-id': 'req-123' } });
    expect(((await kept.json()) as { headers: Record<string, string> }).headers['x-request-id']).toBe('req-123');
    expect(kept.headers.get('x-request-id')).toBe('req-123');
    const replaced = await fetch(`${gw.url}/chat/a`, { headers: { ...bearer(), 'x-request-id': 'bad id <script>' } });
    const id = ((await replaced.json()) as { headers: Record<string, string> }).headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(replaced.headers.get('x-request-id')).toBe(id);
  });

  it('continues a valid traceparent with a new span id and starts a trace otherwise', async () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await fetch(`${gw.url}/chat/a`, { headers: { ...bearer(), traceparent: incoming, tracestate: 'a=b' } });
    const { headers } = (await res.json()) as { headers: Record<string, string> };
    expect(headers['traceparent']).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(headers['traceparent']).not.toBe(incoming);
    expect(headers['tracestate']).toBe('a=b');
    const fresh = await fetch(`${gw.url}/chat/a`, { headers: { ...bearer(), traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01', tracestate: 'a=b' } });
    const h2 = ((await fresh.json()) as { headers: Record<string, string> }).headers;
    expect(h2['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(h2['traceparent']!.slice(3, 35)).not.toBe('0'.repeat(32));
    expect(h2['tracestate']).toBeUndefined();
  });

  it('does not trust a client X-Forwarded-For by default', async () => {
    const res = await fetch(`${gw.url}/chat/a`, { headers: { ...bearer(), 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-real-ip': '6.6.6.6' } });
    const { headers } = (await res.json()) as { headers: Record<string, string> };
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-real-ip']).toBeUndefined();
  });

  it('removes hop-by-hop headers and adds security headers to proxied responses', async () => {
    const res = await rawRequest(gw.url, '/chat/a', { ...bearer(), connection: 'keep-alive, x-secret', 'x-secret': 'hop', te: 'trailers' });
    const { headers } = JSON.parse(res.body) as { headers: Record<string, string> };
    expect(headers['x-secret']).toBeUndefined();
    expect(headers['te']).toBeUndefined();
    expect(res.headers['x-upstream']).toBe('chat');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('trusted proxies', () => {
  it('appends to X-Forwarded-For only behind a configured trusted proxy', async () => {
    const upstream = await startUpstream('chat2');
    const trusted = await startGateway({ key, config: { upstreams: { chat: [upstream.url] }, trustProxy: ['127.0.0.1/32'] } });
    try {
      const res = await fetch(`${trusted.url}/chat/a`, { headers: { ...bearer(), 'x-forwarded-for': '203.0.113.7' } });
      const { headers } = (await res.json()) as { headers: Record<string, string> };
      expect(headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    } finally {
      await trusted.close();
      await upstream.close();
    }
  });
});

describe('metrics', () => {
  it('counts proxied requests and verify outcomes', async () => {
    await fetch(`${gw.url}/chat/metrics-probe`, { headers: bearer() });
    await fetch(`${gw.url}/chat/metrics-probe`, { headers: { authorization: 'Bearer nope' } });
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/chat\/\*",status="200"\} \d+/);
    expect(text).toMatch(/gateway_token_verifications_total\{outcome="valid"\} \d+/);
    expect(text).toMatch(/gateway_token_verifications_total\{outcome="MALFORMED"\} \d+/);
    expect(text).toMatch(/gateway_upstream_instances\{service="chat",state="available"\} 1/);
  });
});


describe('metrics access (regression: /metrics was public at the edge)', () => {
  it('answers only the allowed client addresses (loopback by default); others get the 404 of an unknown route', async () => {
    const behindProxy = await startGateway({ key, config: { upstreams: { chat: [chat.url] }, trustProxy: ['127.0.0.1'] } });
    try {
      const from = (xff: string, path = '/metrics', method = 'GET') => fetch(`${behindProxy.url}${path}`, { method, headers: { 'x-forwarded-for': xff } });
      expect((await from('127.0.0.1')).status).toBe(200);
      expect((await from('::1')).status).toBe(200);
      for (const [xff, path, method] of [['203.0.113.9', '/metrics', 'GET'], ['203.0.113.9', '/metrics/', 'GET'], ['203.0.113.9', '/metrics?x=1', 'GET'], ['2001:db8::1', '/metrics', 'GET'], ['127.0.0.1, 203.0.113.9', '/metrics', 'GET']] as const) {
        const res = await from(xff, path, method);
        expect(res.status, `${xff} ${path}`).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        const body = (await res.json()) as { code: string; detail: string };
        expect(body).toMatchObject({ code: 'ROUTE_NOT_FOUND', detail: `no route for GET ${path.split('?')[0]}` });
        expect(JSON.stringify(body)).not.toContain('gateway_');
      }
      expect((await from('203.0.113.9', '/metrics', 'HEAD')).status).toBe(404);
    } finally {
      await behindProxy.close();
    }
  });

  it('follows metricsAllow (GATEWAY_METRICS_ALLOW)', async () => {
    const monitored = await startGateway({ key, config: { upstreams: { chat: [chat.url] }, trustProxy: ['127.0.0.1'], metricsAllow: ['10.20.0.0/16'] } });
    try {
      const from = (xff: string) => fetch(`${monitored.url}/metrics`, { headers: { 'x-forwarded-for': xff } }).then((r) => r.status);
      expect(await from('10.20.3.4')).toBe(200);
      expect(await from('10.21.3.4')).toBe(404);
      expect(await from('127.0.0.1')).toBe(404);
    } finally {
      await monitored.close();
    }
  });
});

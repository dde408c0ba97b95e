import { describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { createServiceTokenSource, type ServiceTokenSourceOptions } from '../src/index.js';
import { rejectionOf } from './helpers.js';

interface Call {
  readonly authorization: string | null;
  readonly body: string;
}

/** A token endpoint stub: answers from `respond`, counts and records calls. */
function tokenEndpoint(respond: (n: number) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetchStub = (async (_url: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    calls.push({ authorization: headers.get('authorization'), body: String(init?.body) });
    return respond(calls.length);
  }) as typeof fetch;
  return { calls, fetch: fetchStub };
}

const issued = (n: number, expiresIn = 900): Response =>
  Response.json({ access_token: `token-${n}`, token_type: 'Bearer', expires_in: expiresIn });

function source(endpoint: { fetch: typeof fetch }, clock: ManualClock, options: Partial<ServiceTokenSourceOptions> = {}) {
  return createServiceTokenSource({ tokenUrl: 'http://auth.test/oauth/token', clientId: 'svc:chat', clientSecret: 's3cret&=', clock, fetch: endpoint.fetch, ...options });
}

describe('createServiceTokenSource', () => {
  it('asks with form-encoded Basic credentials and caches the token until shortly before it expires', async () => {
    const clock = new ManualClock();
    const endpoint = tokenEndpoint((n) => issued(n));
    const tokens = source(endpoint, clock, { scope: 'users:read' });
    expect(await tokens.getToken()).toBe('token-1');
    expect(endpoint.calls[0]).toEqual({
      authorization: `Basic ${Buffer.from('svc%3Achat:s3cret%26%3D').toString('base64')}`,
      body: 'grant_type=client_credentials&scope=users%3Aread',
    });
    clock.advance(839_000);
    expect(await tokens.getToken()).toBe('token-1');
    clock.advance(2_000);
    expect(await tokens.getToken()).toBe('token-2');
    expect(endpoint.calls).toHaveLength(2);
  });

  it('sends one request for concurrent callers', async () => {
    const endpoint = tokenEndpoint(async (n) => (await new Promise((r) => setTimeout(r, 20)), issued(n)));
    const tokens = source(endpoint, new ManualClock());
    expect(await Promise.all(Array.from({ length: 5 }, () => tokens.getToken()))).toEqual(Array(5).fill('token-1'));
    expect(endpoint.calls).toHaveLength(1);
  });

  // Regression: with a lifetime under refreshBeforeMs every call went to the token endpoint.
  it('still caches a token whose lifetime is shorter than refreshBeforeMs', async () => {
    const clock = new ManualClock();
    const endpoint = tokenEndpoint((n) => issued(n, 30));
    const tokens = source(endpoint, clock);
    expect(await tokens.getToken()).toBe('token-1');
    clock.advance(10_000);
    expect(await tokens.getToken()).toBe('token-1');
    expect(endpoint.calls).toHaveLength(1);
    clock.advance(6_000);
    expect(await tokens.getToken()).toBe('token-2');
  });

  it('keeps serving the cached token while renewals fail, then reports the endpoint unavailable', async () => {
    const clock = new ManualClock();
    const endpoint = tokenEndpoint((n) => (n === 1 ? issued(n) : new Response('down', { status: 503 })));
    const tokens = source(endpoint, clock);
    await tokens.getToken();
    clock.advance(850_000);
    expect(await tokens.getToken()).toBe('token-1');
    clock.advance(50_000);
    expect(await rejectionOf(tokens.getToken())).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 503 });
  });

  it('treats refused credentials as this service\'s misconfiguration (INTERNAL), not the caller\'s fault', async () => {
    const endpoint = tokenEndpoint(() => Response.json({ error: 'invalid_client' }, { status: 401 }));
    expect(await rejectionOf(source(endpoint, new ManualClock()).getToken())).toMatchObject({ code: 'INTERNAL', status: 500 });
  });

  // Regression: a revoked client kept handing out its cached token, which every verifier refuses.
  it('drops the cached token once the endpoint refuses the credentials', async () => {
    const clock = new ManualClock();
    const endpoint = tokenEndpoint((n) => (n === 1 ? issued(n) : Response.json({ error: 'invalid_client' }, { status: 401 })));
    const tokens = source(endpoint, clock);
    await tokens.getToken();
    clock.advance(850_000);
    expect(await rejectionOf(tokens.getToken())).toMatchObject({ code: 'INTERNAL' });
    expect(await rejectionOf(tokens.getToken())).toMatchObject({ code: 'INTERNAL' });
    expect(endpoint.calls).toHaveLength(3);
  });

  it('refuses a response that is not a bearer token', async () => {
    const endpoint = tokenEndpoint(() => Response.json({ access_token: 'x', token_type: 'mac', expires_in: 900 }));
    expect(await rejectionOf(source(endpoint, new ManualClock()).getToken())).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import { createVerifier, TokenError, type JsonWebKey, type Verifier, type VerifierOptions } from '../src/index.js';
import { AUDIENCE, ISSUER, makeKey, rejectionOf, startJwksServer, userToken, type TestKey } from './helpers.js';

let rsa: TestKey;
let ec: TestKey;
let next: TestKey;
beforeAll(async () => {
  [rsa, ec, next] = await Promise.all([makeKey('RS256'), makeKey('ES256'), makeKey('EdDSA')]);
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Partial<VerifierOptions> = {}, startKeys?: TestKey[]) {
  const server = await startJwksServer((startKeys ?? [rsa, ec]).map((k) => k.jwk));
  cleanups.push(() => server.close());
  const clock = new ManualClock();
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: server.url,
    clock,
    // Long background intervals: these tests trigger fetches themselves.
    jwks: { cooldownMs: 30_000, minAgeMs: 600_000, maxAgeMs: 600_000, fetchTimeoutMs: 500 },
    ...options,
  });
  cleanups.push(() => verifier.close());
  return { server, clock, verifier };
}

async function fails(verifier: Verifier, token: string): Promise<unknown> {
  return rejectionOf(verifier.verify(token));
}

describe('remote JWKS', () => {
  it('fetches once at start and verifies every published algorithm', async () => {
    const { server, verifier } = await setup();
    await verifier.start();
    expect(server.count).toBe(1);
    expect(verifier.status()).toMatchObject({ keys: 2, ready: true, stale: false, lastError: null });
    expect(verifier.status().lastFetchAt).toBeInstanceOf(Date);
    await verifier.verify(userToken(rsa));
    await verifier.verify(userToken(ec));
    expect(server.count).toBe(1);
  });

  it('refetches for an unknown kid at most once per cooldown', async () => {
    const { server, clock, verifier } = await setup();
    await verifier.start();
    const stranger = userToken(next);
    // The start fetch counts: within its cooldown an unknown kid fetches nothing.
    expect(await fails(verifier, stranger)).toMatchObject({ reason: 'UNKNOWN_KID' });
    expect(server.count).toBe(1);
    clock.advance(30_000);
    expect(await fails(verifier, stranger)).toMatchObject({ reason: 'UNKNOWN_KID' });
    expect(server.count).toBe(2);
    // A burst of unknown kids within the next cooldown: no further request.
    await Promise.all(Array.from({ length: 20 }, (_, i) => fails(verifier, userToken(next, {}, { kid: `k${i}` }))));
    clock.advance(29_000);
    expect(await fails(verifier, stranger)).toMatchObject({ reason: 'UNKNOWN_KID' });
    expect(server.count).toBe(2);
    clock.advance(1_000);
    await fails(verifier, stranger);
    expect(server.count).toBe(3);
  });

  it('fetches once for concurrent unknown kids (single flight)', async () => {
    const { server, verifier } = await setup();
    server.delayMs = 50;
    // Not started: the first verifications trigger the fetch and wait for it.
    const results = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(userToken(rsa))));
    expect(results).toHaveLength(10);
    expect(server.count).toBe(1);
  });

  it('picks up a rotated key after one refetch', async () => {
    const { server, clock, verifier } = await setup();
    await verifier.start();
    server.keys = [rsa.jwk, next.jwk];
    clock.advance(30_000);
    await expect(verifier.verify(userToken(next))).resolves.toMatchObject({ kind: 'user' });
    expect(server.count).toBe(2);
    await verifier.verify(userToken(next, { jti: 'another' }));
    expect(server.count).toBe(2);
  });

  it('drops cached tokens of a key withdrawn from the JWKS', async () => {
    const { server, clock, verifier } = await setup();
    await verifier.start();
    const token = userToken(ec);
    await verifier.verify(token);
    server.keys = [rsa.jwk, next.jwk];
    clock.advance(30_000);
    await verifier.verify(userToken(next));
    expect(await fails(verifier, token)).toMatchObject({ reason: 'UNKNOWN_KID' });
  });

  it('keeps serving cached keys when auth is down, and says it is stale', async () => {
    const { server, clock, verifier } = await setup();
    await verifier.start();
    await server.close();
    clock.advance(30_000);
    expect(await fails(verifier, userToken(next))).toMatchObject({ reason: 'UNKNOWN_KID' });
    const status = verifier.status();
    expect(status).toMatchObject({ keys: 2, ready: true, stale: true });
    expect(status.lastError).not.toBeNull();
    await expect(verifier.verify(userToken(rsa))).resolves.toMatchObject({ kind: 'user' });
  });

  it('keeps the cached keys when the JWKS comes back empty or invalid', async () => {
    const { server, clock, verifier } = await setup();
    await verifier.start();
    server.keys = [{ kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' }];
    clock.advance(30_000);
    await fails(verifier, userToken(next));
    expect(verifier.status()).toMatchObject({ keys: 2, stale: true, lastError: 'JWKS has no usable key' });
    await expect(verifier.verify(userToken(rsa))).resolves.toBeDefined();
  });

  it('answers KEYS_UNAVAILABLE when no key was ever fetched', async () => {
    const { server, verifier } = await setup();
    server.status = 503;
    await verifier.start();
    expect(verifier.status()).toMatchObject({ keys: 0, ready: false, stale: false, lastError: 'JWKS answered HTTP 503' });
    const err = await fails(verifier, userToken(rsa));
    expect(err).toBeInstanceOf(AppError);
    expect(err).not.toBeInstanceOf(TokenError);
    expect(err).toMatchObject({ code: 'KEYS_UNAVAILABLE', status: 503 });
  });

  it('recovers in the background after a failed start, retrying after the cooldown when it is under 1 s', async () => {
    const jwks = memoryJwks([rsa.jwk]);
    jwks.status = 500;
    const { clock, verifier } = await setup({ jwks: { fetch: jwks.fetch, cooldownMs: 50, minAgeMs: 600_000 } });
    await verifier.start();
    expect(verifier.status().ready).toBe(false);
    jwks.status = 200;
    await clock.advanceAsync(49);
    expect(jwks.count).toBe(1);
    await clock.advanceAsync(1);
    expect(jwks.count).toBe(2);
    expect(verifier.status()).toMatchObject({ ready: true, lastError: null });
  });

  it('backs off from 1 s, doubling up to the cooldown, while the JWKS fails', async () => {
    const jwks = memoryJwks([rsa.jwk]);
    jwks.status = 503;
    const { clock, verifier } = await setup({ jwks: { fetch: jwks.fetch, cooldownMs: 10_000, minAgeMs: 600_000 } });
    await verifier.start();
    const fetchedAt: number[] = [];
    const start = clock.now().getTime();
    jwks.onFetch = () => fetchedAt.push(clock.now().getTime() - start);
    await clock.advanceAsync(40_000);
    expect(fetchedAt).toEqual([1_000, 3_000, 7_000, 15_000, 25_000, 35_000]);
  });

  // Regression: without Content-Length the whole body was read before the size check.
  it('stops reading a chunked JWKS body without Content-Length once it passes 256 KiB', async () => {
    const CHUNK = 16 * 1024;
    let sent = 0;
    const oversized = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 8 MiB in all, as a chunked transfer would deliver it.
        if (sent >= 8 * 1024 * 1024) return controller.close();
        sent += CHUNK;
        controller.enqueue(new Uint8Array(CHUNK).fill(0x20));
      },
    });
    const chunked: typeof fetch = async () => new Response(oversized, { status: 200, headers: { 'content-type': 'application/json' } });
    const { verifier } = await setup({ jwks: { fetch: chunked, fetchTimeoutMs: 5_000, minAgeMs: 600_000 } });
    await verifier.start();
    expect(verifier.status().lastError).toBe('JWKS response too large');
    // Reading stopped just past the cap (the stream may have queued a chunk or two ahead).
    expect(sent).toBeLessThanOrEqual(256 * 1024 + 3 * CHUNK);
  });

  it('refuses an endless chunked JWKS from a real server as too large, not as a timeout', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const write = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', write);
      };
      write();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const { port } = server.address() as AddressInfo;
    const { verifier } = await setup({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, jwks: { fetchTimeoutMs: 2_000, minAgeMs: 600_000 } });
    await verifier.start();
    expect(verifier.status().lastError).toBe('JWKS response too large');
  });

  it('gives up on a slow JWKS after the fetch timeout', async () => {
    const { server, verifier } = await setup({ jwks: { fetchTimeoutMs: 100, minAgeMs: 600_000 } });
    server.delayMs = 2_000;
    const started = Date.now();
    await verifier.start();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(verifier.status().lastError).toMatch(/timeout|abort/i);
  });

  it('refreshes in the background, honouring Cache-Control within bounds', async () => {
    const jwks = memoryJwks([rsa.jwk]);
    jwks.cacheControl = 'public, max-age=3600';
    const { clock, verifier } = await setup({ jwks: { fetch: jwks.fetch, minAgeMs: 50, maxAgeMs: 100 } });
    await verifier.start();
    // Clamped to maxAgeMs (100 ms), not one hour.
    await clock.advanceAsync(99);
    expect(jwks.count).toBe(1);
    await clock.advanceAsync(1);
    expect(jwks.count).toBe(2);
    await clock.advanceAsync(1_000);
    expect(jwks.count).toBe(12);
    // And a shorter max-age is raised to minAgeMs (50 ms).
    jwks.cacheControl = 'no-store';
    await clock.advanceAsync(100);
    expect(jwks.count).toBe(13);
    await clock.advanceAsync(49);
    expect(jwks.count).toBe(13);
    await clock.advanceAsync(1);
    expect(jwks.count).toBe(14);
  });

  it('stops fetching after close', async () => {
    const jwks = memoryJwks([rsa.jwk]);
    const { clock, verifier } = await setup({ jwks: { fetch: jwks.fetch, minAgeMs: 20, maxAgeMs: 20 } });
    await verifier.start();
    await clock.advanceAsync(20);
    expect(jwks.count).toBe(2);
    verifier.close();
    await clock.advanceAsync(1_000);
    expect(jwks.count).toBe(2);
  });
});

interface MemoryJwks {
  readonly fetch: typeof fetch;
  /** Requests received so far. */
  readonly count: number;
  status: number;
  cacheControl: string | null;
  /** Called on each request, before it is answered. */
  onFetch: () => void;
}

/** A JWKS endpoint in memory: its answers take no I/O, so a clock move settles them. */
function memoryJwks(keys: JsonWebKey[]): MemoryJwks {
  let count = 0;
  const endpoint: MemoryJwks = {
    get count() {
      return count;
    },
    status: 200,
    cacheControl: null,
    onFetch: () => undefined,
    fetch: async () => {
      count += 1;
      endpoint.onFetch();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (endpoint.cacheControl !== null) headers['cache-control'] = endpoint.cacheControl;
      return endpoint.status === 200 ? new Response(JSON.stringify({ keys }), { headers }) : new Response('down', { status: endpoint.status });
    },
  };
  return endpoint;
}

import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import type { AppError } from '@realchat/errors';
import { createRevocationList, createVerifier, verifyBearer, type Principal, type TokenError, type VerifierOptions } from '../src/index.js';
import { TokenCache } from '../src/internal/token-cache.js';
import { AUDIENCE, b64, ISSUER, makeKey, NOW_SEC, rejectionOf, userClaims, userToken, type TestKey } from './helpers.js';

type Outcome = { ok: string } | { status: number; code: string; reason: string | undefined; challenge: string | undefined };
async function outcomeOf(run: () => Promise<Principal>): Promise<Outcome> {
  try {
    return { ok: (await run()).tokenId };
  } catch (err) {
    const e = err as AppError;
    return { status: e.status, code: e.code, reason: (err as TokenError).reason, challenge: e.headers?.['WWW-Authenticate'] };
  }
}

let key: TestKey;
let unknown: TestKey;

beforeAll(async () => {
  [key, unknown] = await Promise.all([makeKey('RS256'), makeKey('RS256')]);
});

/** A remote-JWKS verifier whose fetches are counted; cooldown 0 so every unknown kid refetches. */
function remoteVerifier(opts: { fail?: boolean; delayMs?: number } = {}, extra: Partial<VerifierOptions> = {}) {
  let fetches = 0;
  const clock = new ManualClock();
  const fetchFn: typeof fetch = async () => {
    fetches += 1;
    if (opts.delayMs !== undefined) await new Promise((r) => setTimeout(r, opts.delayMs));
    if (opts.fail === true) return new Response('down', { status: 500 });
    return new Response(JSON.stringify({ keys: [key.jwk] }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: 'http://jwks.invalid/jwks.json',
    jwks: { fetch: fetchFn, cooldownMs: 0, minAgeMs: 600_000, maxAgeMs: 600_000, fetchTimeoutMs: 1_000 },
    clock,
    ...extra,
  });
  return { verifier, clock, fetches: () => fetches };
}

describe('verifyBearer', () => {
  it('with no key at all, a malformed header is still 401 invalid_request, its well-formed twin 503', async () => {
    const { verifier, fetches } = remoteVerifier({ fail: true });
    const h = `Bearer ${userToken(unknown)}\t`;
    const f = fetches();
    expect(await outcomeOf(() => verifyBearer(verifier, h))).toMatchObject({ status: 401, challenge: expect.stringContaining('invalid_request') as unknown });
    // It reached the verifier, whose throttled refetch ran once, as for the same token without the tab.
    expect(fetches() - f).toBe(1);
    expect(await outcomeOf(() => verifyBearer(verifier, h.trimEnd()))).toMatchObject({ status: 503, code: 'KEYS_UNAVAILABLE' });
    verifier.close();
  });
});

describe('TokenCache keyed by the last 32 characters', () => {
  const principal = (id: string): Principal =>
    Object.freeze({ kind: 'user', userId: randomUUID(), sessionId: id, roles: [], scopes: [], tokenId: id, expiresAt: new Date(0) }) as Principal;
  const tail = 'X'.repeat(32);

  it('never serves an entry to another token sharing its key, and a miss changes nothing', () => {
    const cache = new TokenCache(10);
    cache.set(`a.b.${tail}`, principal('A'), 2000, 0);
    expect(cache.get(`c.d.${tail}`, 0)).toBeUndefined();
    expect(cache.get(tail, 0)).toBeUndefined(); // a token equal to the key itself
    expect(cache.get(`a.b.${tail}`, 0)?.principal.tokenId).toBe('A');
    // An expired entry is not dropped by a colliding miss (only by its own token).
    expect(cache.get(`c.d.${tail}`, 5000)).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(cache.get(`a.b.${tail}`, 5000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('a colliding set replaces the entry in place (no eviction of others, no cross-serving)', () => {
    const cache = new TokenCache(2);
    cache.set(`a.b.${tail}`, principal('A'), 2000, 0);
    cache.set(`other.${'Y'.repeat(32)}`, principal('O'), 2000, 0);
    cache.set(`c.d.${tail}`, principal('B'), 2000, 0);
    expect(cache.size).toBe(2);
    expect(cache.get(`a.b.${tail}`, 0)).toBeUndefined();
    expect(cache.get(`c.d.${tail}`, 0)?.principal.tokenId).toBe('B');
    expect(cache.get(`other.${'Y'.repeat(32)}`, 0)?.principal.tokenId).toBe('O');
  });

  it('forged tokens (colliding tails or not) neither evict nor poison the verifier cache', async () => {
    const clock = new ManualClock();
    const revocations = createRevocationList({ clock });
    const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [key.jwk] }, clock, cache: { maxEntries: 4 }, revocations });
    const tokens = Array.from({ length: 4 }, () => userToken(key));
    const first = await Promise.all(tokens.map((t) => verifier.verify(t)));
    for (let i = 0; i < 200; i++) {
      const [h, , s] = tokens[i % 4]!.split('.');
      const forged = i % 2 === 0 ? `${h}.${b64(userClaims())}.${s}` : userToken(unknown, {}, { kid: key.kid });
      expect(((await rejectionOf(verifier.verify(forged))) as TokenError).reason).toBe('BAD_SIGNATURE');
    }
    // Same frozen principal objects: every original is still a cache hit.
    for (let i = 0; i < 4; i++) expect(await verifier.verify(tokens[i]!)).toBe(first[i]);
    // Revocation and expiry still win over a hit.
    revocations.revoke(first[0]!.kind === 'user' ? first[0]!.sessionId : '', new Date((NOW_SEC + 900) * 1000));
    expect(((await rejectionOf(verifier.verify(tokens[0]!))) as TokenError).reason).toBe('REVOKED');
    clock.advance(901_000 + 5_000);
    expect(((await rejectionOf(verifier.verify(tokens[1]!))) as TokenError).reason).toBe('EXPIRED');
  });
});

describe('verifier: scratch buffers across the refresh await', () => {
  it('interleaved verifications around a JWKS refresh each get their own principal', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let jwksKeys = [key.jwk];
    const fetchFn: typeof fetch = async () => {
      await gate;
      return new Response(JSON.stringify({ keys: jwksKeys }), { status: 200 });
    };
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: 'http://jwks.invalid/jwks.json',
      jwks: { fetch: fetchFn, cooldownMs: 0, minAgeMs: 600_000, fetchTimeoutMs: 5_000 },
      keys: { keys: [key.jwk] },
      clock: new ManualClock(),
    });
    jwksKeys = [unknown.jwk];
    // Two tokens by a not-yet-known key wait on the refresh; meanwhile the local key verifies others (same scratch buffers).
    const waiting = [userToken(unknown, { roles: ['ADMIN'] }), userToken(unknown, { roles: ['STUDENT'] })];
    const pending = waiting.map((t) => verifier.verify(t));
    const meanwhile: Promise<Principal>[] = [];
    const forgedErrors: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      meanwhile.push(verifier.verify(userToken(key, { jti: `m${i}` })));
      const [h, , s] = userToken(key).split('.');
      forgedErrors.push(rejectionOf(verifier.verify(`${h}.${b64(userClaims({ roles: ['ADMIN'], jti: `f${i}` }))}.${s}`)));
    }
    release();
    const [a, b] = await Promise.all(pending);
    expect(a!.roles).toEqual(['ADMIN']);
    expect(b!.roles).toEqual(['STUDENT']);
    expect((await Promise.all(meanwhile)).map((p) => p.tokenId)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    for (const e of await Promise.all(forgedErrors)) expect((e as TokenError).reason).toBe('BAD_SIGNATURE');
    verifier.close();
  });
});

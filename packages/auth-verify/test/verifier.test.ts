import { createPublicKey, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import {
  createRevocationList,
  createVerifier,
  TokenError,
  type Algorithm,
  type JSONWebKeySet,
  type TokenErrorReason,
  type VerifierOptions,
} from '../src/index.js';
import {
  AUDIENCE,
  b64,
  headerFor,
  ISSUER,
  makeKey,
  NOW_SEC,
  rejectionOf,
  serviceClaims,
  signRaw,
  userClaims,
  userToken,
  type TestKey,
} from './helpers.js';

const ALGS: Algorithm[] = ['RS256', 'ES256', 'EdDSA'];
let keys: Record<Algorithm, TestKey>;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  const made = await Promise.all(ALGS.map((alg) => makeKey(alg)));
  keys = { RS256: made[0]!, ES256: made[1]!, EdDSA: made[2]! };
  jwks = { keys: made.map((k) => k.jwk) };
});

function verifierWith(options: Partial<VerifierOptions> = {}) {
  const clock = new ManualClock();
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: jwks, clock, ...options });
  return { verifier, clock };
}

async function reasonOf(token: string, options: Partial<VerifierOptions> = {}): Promise<TokenErrorReason> {
  const err = await rejectionOf(verifierWith(options).verifier.verify(token));
  expect(err).toBeInstanceOf(TokenError);
  return (err as TokenError).reason;
}

describe('createVerifier: valid tokens', () => {
  it.each(ALGS)('verifies a user token signed by jose with %s', async (alg) => {
    const key = keys[alg];
    const sub = randomUUID();
    const sid = randomUUID();
    const token = await new SignJWT({ sid, roles: ['STUDENT', 'ADMIN'] })
      .setProtectedHeader({ alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(sub)
      .setIssuedAt(NOW_SEC)
      .setExpirationTime(NOW_SEC + 900)
      .setJti('jti-1')
      .sign(key.privateKey);
    const principal = await verifierWith().verifier.verify(token);
    expect(principal).toEqual({
      kind: 'user',
      userId: sub,
      sessionId: sid,
      roles: ['STUDENT', 'ADMIN'],
      scopes: [],
      tokenId: 'jti-1',
      expiresAt: new Date((NOW_SEC + 900) * 1000),
    });
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('verifies a client-credentials token as a service principal', async () => {
    const token = signRaw(keys.ES256, headerFor(keys.ES256), serviceClaims({ scope: 'users:read  events:read' }));
    expect(await verifierWith().verifier.verify(token)).toMatchObject({
      kind: 'service',
      clientId: 'chat',
      scopes: ['users:read', 'events:read'],
      roles: [],
    });
  });

  it('accepts typ variants, an aud array, and exp within the clock tolerance', async () => {
    const { verifier } = verifierWith();
    const k = keys.RS256;
    await expect(verifier.verify(userToken(k, {}, { typ: 'application/AT+JWT' }))).resolves.toMatchObject({ kind: 'user' });
    await expect(verifier.verify(userToken(k, { aud: ['other', AUDIENCE] }))).resolves.toMatchObject({ kind: 'user' });
    await expect(verifier.verify(userToken(k, { exp: NOW_SEC - 3 }))).resolves.toMatchObject({ kind: 'user' });
  });

  it('ignores roles it does not know', async () => {
    const p = await verifierWith().verifier.verify(userToken(keys.RS256, { roles: ['STUDENT', 'MODERATOR'] }));
    expect(p.roles).toEqual(['STUDENT']);
  });
});

describe('createVerifier: refused tokens', () => {
  it('refuses alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt', kid: keys.RS256.kid })}.${b64(userClaims())}.`;
    expect(await reasonOf(token)).toBe('ALG_NOT_ALLOWED');
  });

  it.each(['pem', 'jwk'] as const)('refuses HS256 signed with the RSA public key (%s) as secret', async (form) => {
    const publicKey = createPublicKey({ key: keys.RS256.jwk as never, format: 'jwk' });
    const secret = form === 'pem' ? String(publicKey.export({ type: 'spki', format: 'pem' })) : JSON.stringify(keys.RS256.jwk);
    const token = await new SignJWT(userClaims())
      .setProtectedHeader({ alg: 'HS256', kid: keys.RS256.kid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode(secret));
    expect(await reasonOf(token)).toBe('ALG_NOT_ALLOWED');
  });

  it('pins the algorithm per key: an ES256 header on the RSA kid is refused', async () => {
    const token = signRaw(keys.ES256, headerFor(keys.ES256, { kid: keys.RS256.kid }), userClaims());
    expect(await reasonOf(token)).toBe('ALG_NOT_ALLOWED');
  });

  it('refuses an algorithm outside the configured list', async () => {
    expect(await reasonOf(userToken(keys.EdDSA), { algorithms: ['RS256'] })).toBe('ALG_NOT_ALLOWED');
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = userToken(keys.RS256).split('.');
    const forged = `${h}.${b64(userClaims({ roles: ['ADMIN'] }))}.${s}`;
    expect(await reasonOf(forged)).toBe('BAD_SIGNATURE');
  });

  it.each(ALGS)('judges the signature before the claims (%s): a forged token is BAD_SIGNATURE whatever its payload', async (alg) => {
    const [h, , s] = userToken(keys[alg]).split('.');
    const payloads = [b64(userClaims({ exp: NOW_SEC - 3600 })), b64(userClaims({ iss: 'https://evil.example' })), Buffer.from('{not json').toString('base64url'), b64(['array'])];
    for (const p of payloads) expect(await reasonOf(`${h}.${p}.${s}`)).toBe('BAD_SIGNATURE');
    // The same payloads, honestly signed, get the claims' own verdicts.
    expect(await reasonOf(signRaw(keys[alg], headerFor(keys[alg]), userClaims({ exp: NOW_SEC - 3600 })))).toBe('EXPIRED');
    expect(await reasonOf(signRaw(keys[alg], headerFor(keys[alg]), userClaims({ iss: 'https://evil.example' })))).toBe('BAD_ISSUER');
  });

  it('judges a payload over 1 KiB only after its signature, with the same verdicts', async () => {
    const big = { extra: 'x'.repeat(2000) };
    const [h, , s] = userToken(keys.RS256).split('.');
    expect(await reasonOf(`${h}.${b64(userClaims({ ...big, exp: NOW_SEC - 3600 }))}.${s}`)).toBe('BAD_SIGNATURE');
    expect(await reasonOf(signRaw(keys.RS256, headerFor(keys.RS256), userClaims({ ...big, exp: NOW_SEC - 3600 })))).toBe('EXPIRED');
    const { verifier } = verifierWith();
    expect((await verifier.verify(signRaw(keys.RS256, headerFor(keys.RS256), userClaims(big)))).kind).toBe('user');
  });

  it('refuses a tampered payload whose original is in the cache (same signature, same end)', async () => {
    const { verifier } = verifierWith();
    const original = userToken(keys.RS256);
    const [h, , s] = original.split('.');
    await verifier.verify(original);
    const forged = `${h}.${b64(userClaims({ roles: ['ADMIN'] }))}.${s}`;
    expect(forged.slice(-32)).toBe(original.slice(-32));
    expect(((await rejectionOf(verifier.verify(forged))) as TokenError).reason).toBe('BAD_SIGNATURE');
    expect((await verifier.verify(original)).roles).toEqual(['STUDENT']);
  });

  it('refuses a signature made by another key under a known kid', async () => {
    const other = await makeKey('ES256');
    expect(await reasonOf(signRaw(other, headerFor(keys.ES256), userClaims()))).toBe('BAD_SIGNATURE');
  });

  it('refuses a DER-encoded ES256 signature (wrong length)', async () => {
    const [h, p] = userToken(keys.ES256).split('.');
    expect(await reasonOf(`${h}.${p}.${Buffer.alloc(70, 1).toString('base64url')}`)).toBe('BAD_SIGNATURE');
  });

  it('refuses an unknown kid', async () => {
    expect(await reasonOf(userToken(keys.RS256, {}, { kid: 'nope' }))).toBe('UNKNOWN_KID');
    expect(await reasonOf(userToken(keys.RS256, {}, { kid: undefined }))).toBe('UNKNOWN_KID');
  });

  it.each(['jku', 'jwk', 'x5u', 'x5c', 'crit'])('refuses a %s header', async (name) => {
    const value = name === 'jwk' ? keys.RS256.jwk : name === 'x5c' || name === 'crit' ? ['exp'] : 'https://evil.example/keys';
    expect(await reasonOf(userToken(keys.RS256, {}, { [name]: value }))).toBe('FORBIDDEN_HEADER');
  });

  it.each([['JWT'], [undefined], ['at+jwt2'], ['text/at+jwt']])('refuses typ %s', async (typ) => {
    expect(await reasonOf(userToken(keys.RS256, {}, { typ }))).toBe('BAD_TYP');
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const err = await rejectionOf(verifierWith().verifier.verify(userToken(keys.RS256, { exp: NOW_SEC - 10 })));
    expect(err).toMatchObject({ reason: 'EXPIRED', code: 'TOKEN_EXPIRED', status: 401, extensions: { reason: 'EXPIRED' } });
  });

  it('refuses nbf and iat in the future', async () => {
    expect(await reasonOf(userToken(keys.RS256, { nbf: NOW_SEC + 60 }))).toBe('NOT_YET_VALID');
    expect(await reasonOf(userToken(keys.RS256, { iat: NOW_SEC + 60 }))).toBe('NOT_YET_VALID');
  });

  it('refuses a foreign issuer and a wrong audience', async () => {
    expect(await reasonOf(userToken(keys.RS256, { iss: 'https://evil.example' }))).toBe('BAD_ISSUER');
    expect(await reasonOf(userToken(keys.RS256, { aud: 'forum-only' }))).toBe('BAD_AUDIENCE');
    expect(await reasonOf(userToken(keys.RS256, { aud: ['a', 'b'] }))).toBe('BAD_AUDIENCE');
    expect(await reasonOf(userToken(keys.RS256, { aud: undefined }))).toBe('BAD_AUDIENCE');
  });

  it.each([
    ['no exp', { exp: undefined }],
    ['exp as a string', { exp: String(NOW_SEC + 900) }],
    ['no jti', { jti: undefined }],
    ['a sub that is not a uuid', { sub: 'admin' }],
    ['roles that are not an array', { roles: 'ADMIN' }],
    ['a non-string scope', { scope: ['a'] }],
  ])('refuses a user token with %s', async (_name, overrides) => {
    expect(await reasonOf(userToken(keys.RS256, overrides))).toBe('BAD_CLAIMS');
  });

  it('refuses a service token claiming roles or another client', async () => {
    const k = keys.RS256;
    expect(await reasonOf(signRaw(k, headerFor(k), serviceClaims({ roles: ['ADMIN'] })))).toBe('BAD_CLAIMS');
    expect(await reasonOf(signRaw(k, headerFor(k), serviceClaims({ client_id: 'forum' })))).toBe('BAD_CLAIMS');
  });

  it.each([
    ['empty', ''],
    ['one segment', 'abc'],
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['empty segments', '..'],
    ['header not base64url', `@@@.${b64(userClaims())}.sig`],
    ['padded segment', `${b64({ alg: 'RS256' })}=.e30.c2ln`],
    ['header not JSON', `${b64('nope')}.${b64(userClaims())}.c2ln`],
    ['header a JSON array', `${b64([1])}.${b64(userClaims())}.c2ln`],
    ['too long', `${'a'.repeat(9000)}.b.c`],
  ])('refuses garbage (%s) as MALFORMED', async (_name, token) => {
    expect(await reasonOf(token)).toBe('MALFORMED');
  });

  it('refuses a payload that is not a JSON object, after the signature', async () => {
    const k = keys.RS256;
    const token = signRaw(k, headerFor(k), [1, 2] as never);
    expect(await reasonOf(token)).toBe('MALFORMED');
  });

  it('refuses a non-ASCII character smuggled into a signed segment', async () => {
    const [h, p, s] = userToken(keys.RS256).split('.');
    // U+0141 becomes 0x41 ("A") in latin1: the strict decoding must refuse it first.
    const smuggled = `${h}.${p!.replace('A', '\u0141')}.${s}`;
    expect(smuggled).not.toBe(`${h}.${p}.${s}`);
    expect(await reasonOf(smuggled)).toBe('MALFORMED');
  });

  // Payload and signature are decoded into buffers the verifier reuses: strictness must hold there too.
  it.each(ALGS)('refuses a %s token whose payload or signature is not strict base64url', async (alg) => {
    const [h, p, s] = userToken(keys[alg]).split('.');
    expect(await reasonOf(`${h}.${p!.slice(0, -1)}*.${s}`)).toBe('MALFORMED');
    expect(await reasonOf(`${h}.${p}.${s}==`)).toBe('MALFORMED');
  });

  it.each(ALGS)('refuses another spelling of a valid %s signature', async (alg) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let token = userToken(keys[alg]);
    // Node decodes `+` `/` like `-` `_`: find a signature with one of those to respell.
    while (!/[-_]/.test(token.split('.')[2]!)) token = userToken(keys[alg]);
    const [h, p, s] = token.split('.') as [string, string, string];
    await expect(verifierWith().verifier.verify(token)).resolves.toMatchObject({ kind: 'user' });
    expect(await reasonOf(`${h}.${p}.${s.replaceAll('-', '+').replaceAll('_', '/')}`)).toBe('MALFORMED');
    // The last character of a 64- or 256-byte signature carries 4 unused bits.
    const respelled = alphabet[alphabet.indexOf(s.at(-1)!) | 1]!;
    expect(Buffer.from(`${s.slice(0, -1)}${respelled}`, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
    expect(await reasonOf(`${h}.${p}.${s.slice(0, -1)}${respelled}`)).toBe('MALFORMED');
  });

  it.each(ALGS)('keeps %s tokens apart when verifying many at once (reused decoding buffers)', async (alg) => {
    const { verifier } = verifierWith({ cache: false });
    const subs = Array.from({ length: 8 }, () => randomUUID());
    const good = subs.map((sub) => userToken(keys[alg], { sub }));
    const [h, p, s] = good[0]!.split('.');
    const forged = `${h}.${b64(userClaims({ sub: subs[1] }))}.${s}`;
    const results = await Promise.allSettled([...good, forged].map((t) => verifier.verify(t)));
    expect(results.slice(0, 8).map((r) => (r.status === 'fulfilled' && r.value.kind === 'user' ? r.value.userId : r.status))).toEqual(subs);
    expect(results[8]).toMatchObject({ status: 'rejected', reason: { reason: 'BAD_SIGNATURE' } });
    expect(await verifier.verify(`${h}.${p}.${s}`)).toMatchObject({ userId: subs[0] });
  });

  it('refuses a revoked session', async () => {
    const clock = new ManualClock();
    const revocations = createRevocationList({ clock });
    const sid = randomUUID();
    revocations.revoke(sid, new Date((NOW_SEC + 900) * 1000));
    expect(await reasonOf(userToken(keys.RS256, { sid }), { revocations, clock })).toBe('REVOKED');
  });

  it("refuses a revoked client's service tokens until their exp, and only that client's", async () => {
    const clock = new ManualClock();
    const revocations = createRevocationList({ clock, toleranceMs: 0 });
    const { verifier } = verifierWith({ clock, revocations, cache: false });
    const revoked = signRaw(keys.RS256, headerFor(keys.RS256), serviceClaims({ sub: 'svc_gone', client_id: 'svc_gone' }));
    const other = signRaw(keys.RS256, headerFor(keys.RS256), serviceClaims());
    revocations.revokeClient('svc_gone', new Date((NOW_SEC + 900) * 1000));
    expect(await rejectionOf(verifier.verify(revoked))).toMatchObject({ reason: 'REVOKED', code: 'INVALID_TOKEN', status: 401 });
    await expect(verifier.verify(other)).resolves.toMatchObject({ kind: 'service', clientId: 'chat' });
    // A client id that happens to equal a revoked session id changes nothing (separate sets).
    const sid = randomUUID();
    revocations.revoke(sid, new Date((NOW_SEC + 900) * 1000));
    await expect(verifier.verify(signRaw(keys.RS256, headerFor(keys.RS256), serviceClaims({ sub: sid, client_id: sid })))).resolves.toMatchObject({ kind: 'service' });
  });

  // Regression (outside review): a service token revoked at /oauth/revoke stayed valid everywhere.
  it('refuses one revoked token by its jti, cached or not, and only that token', async () => {
    const clock = new ManualClock();
    const revocations = createRevocationList({ clock, toleranceMs: 0 });
    const { verifier } = verifierWith({ clock, revocations });
    const revoked = signRaw(keys.RS256, headerFor(keys.RS256), serviceClaims({ jti: 'jti-gone' }));
    const sibling = signRaw(keys.RS256, headerFor(keys.RS256), serviceClaims({ jti: 'jti-kept' }));
    await expect(verifier.verify(revoked)).resolves.toMatchObject({ kind: 'service', tokenId: 'jti-gone' });
    revocations.revokeToken('jti-gone', new Date((NOW_SEC + 900) * 1000));
    expect(await rejectionOf(verifier.verify(revoked))).toMatchObject({ reason: 'REVOKED', status: 401 });
    await expect(verifier.verify(sibling)).resolves.toMatchObject({ kind: 'service', tokenId: 'jti-kept' });
    const user = userToken(keys.RS256, { jti: 'jti-user' });
    revocations.revokeToken('jti-user', new Date((NOW_SEC + 900) * 1000));
    expect(await reasonOf(user, { revocations, clock })).toBe('REVOKED');
  });
});

describe('createVerifier: verified-token cache', () => {
  /** A live key set that counts lookups: a cache hit does not look a key up. */
  function countingKeys() {
    let calls = 0;
    let set: JSONWebKeySet = jwks;
    return {
      source: () => {
        calls += 1;
        return set;
      },
      get calls() {
        return calls;
      },
      replace(next: JSONWebKeySet) {
        set = next;
      },
    };
  }

  it('serves a repeated token from the cache without verifying it again', async () => {
    const live = countingKeys();
    const { verifier } = verifierWith({ keys: live.source });
    const token = userToken(keys.RS256);
    const first = await verifier.verify(token);
    const before = live.calls;
    expect(await verifier.verify(token)).toBe(first);
    expect(live.calls).toBe(before);
  });

  it('never serves an entry at or after exp', async () => {
    const live = countingKeys();
    const { verifier, clock } = verifierWith({ keys: live.source });
    const token = userToken(keys.RS256, { exp: NOW_SEC + 60 });
    await verifier.verify(token);
    clock.advance(60_000);
    const before = live.calls;
    // Past exp but within the 5 s tolerance: verified again, not served from the cache.
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'user' });
    expect(live.calls).toBeGreaterThan(before);
    clock.advance(6_000);
    expect(await rejectionOf(verifier.verify(token))).toMatchObject({ reason: 'EXPIRED' });
  });

  it('rejects a revoked session on a cache hit', async () => {
    const clock = new ManualClock();
    const revocations = createRevocationList({ clock });
    const { verifier } = verifierWith({ clock, revocations });
    const sid = randomUUID();
    const token = userToken(keys.RS256, { sid });
    await verifier.verify(token);
    revocations.revoke(sid, new Date((NOW_SEC + 900) * 1000));
    expect(await rejectionOf(verifier.verify(token))).toMatchObject({ reason: 'REVOKED', code: 'INVALID_TOKEN' });
  });

  it('rejects a revoked client on a cache hit', async () => {
    const clock = new ManualClock();
    const revocations = createRevocationList({ clock });
    const live = countingKeys();
    const { verifier } = verifierWith({ clock, revocations, keys: live.source });
    const token = signRaw(keys.RS256, headerFor(keys.RS256), serviceClaims());
    await verifier.verify(token);
    const before = live.calls;
    await verifier.verify(token);
    expect(live.calls).toBe(before); // served from the cache
    revocations.revokeClient('chat', new Date((NOW_SEC + 900) * 1000));
    expect(await rejectionOf(verifier.verify(token))).toMatchObject({ reason: 'REVOKED', code: 'INVALID_TOKEN' });
  });

  it('stays bounded, evicting unreferenced entries first', async () => {
    const live = countingKeys();
    const { verifier } = verifierWith({ keys: live.source, cache: { maxEntries: 2 } });
    const [t1, t2, t3] = [userToken(keys.RS256), userToken(keys.RS256), userToken(keys.RS256)];
    await verifier.verify(t1!);
    await verifier.verify(t2!);
    await verifier.verify(t1!); // t1 referenced: t2 goes when t3 comes
    await verifier.verify(t3!);
    let before = live.calls;
    await verifier.verify(t1!);
    expect(live.calls).toBe(before);
    before = live.calls;
    await verifier.verify(t2!);
    expect(live.calls).toBe(before + 1);
  });

  it('drops cached tokens when their key leaves the key set', async () => {
    const live = countingKeys();
    const { verifier } = verifierWith({ keys: live.source });
    const token = userToken(keys.RS256);
    await verifier.verify(token);
    live.replace({ keys: [keys.ES256.jwk] });
    await verifier.verify(userToken(keys.ES256)); // the verifier notices the new set
    expect(await rejectionOf(verifier.verify(token))).toMatchObject({ reason: 'UNKNOWN_KID' });
  });

  it('can be disabled', async () => {
    const live = countingKeys();
    const { verifier } = verifierWith({ keys: live.source, cache: false });
    const token = userToken(keys.RS256);
    await verifier.verify(token);
    const before = live.calls;
    await verifier.verify(token);
    expect(live.calls).toBeGreaterThan(before);
  });
});

describe('createVerifier: local keys', () => {
  it('ignores symmetric, encryption, mislabelled and weak keys, and RSA keys with a bad exponent', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const { verifier } = verifierWith({
      keys: {
        keys: [
          { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
          { ...keys.RS256.jwk, kid: 'enc', use: 'enc' },
          { ...keys.RS256.jwk, kid: 'hs', alg: 'HS256' },
          { ...keys.ES256.jwk, kid: 'es-as-rs', alg: 'RS256' },
          { ...(weak as { kty: string }), kid: 'weak' },
          // e = 1 makes any block its own signature; an even e is no RSA key.
          { ...keys.RS256.jwk, kid: 'e1', e: 'AQ' },
          { ...keys.RS256.jwk, kid: 'e2', e: 'Ag' },
          keys.EdDSA.jwk,
        ],
      },
    });
    expect(verifier.status()).toMatchObject({ keys: 1, ready: true, stale: false, lastFetchAt: null });
  });

  it('answers KEYS_UNAVAILABLE (503), not 401, when it has no key at all', async () => {
    const err = await rejectionOf(verifierWith({ keys: { keys: [] } }).verifier.verify(userToken(keys.RS256)));
    expect(err).toBeInstanceOf(AppError);
    expect(err).not.toBeInstanceOf(TokenError);
    expect(err).toMatchObject({ code: 'KEYS_UNAVAILABLE', status: 503 });
  });

  it('puts the reason and an RFC 6750 challenge on every TokenError', async () => {
    const err = (await rejectionOf(verifierWith().verifier.verify('garbage'))) as TokenError;
    expect(err.status).toBe(401);
    expect(err.extensions).toEqual({ reason: 'MALFORMED' });
    expect(err.headers['WWW-Authenticate']).toBe('Bearer realm="realchat", error="invalid_token", error_description="The token is malformed"');
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, importPKCS8, type JWK } from 'jose';
import { silentLogger } from '@realchat/logging';
import { loadConfig } from '@realchat/config';
import { createServiceHost, RuntimeEnvSchema } from '@realchat/runtime';
import { createAuthService, type AuthServiceOptions } from '../src/index.js';
import { bearer, decodeJwt, login, register, startAuth, testSettings, variants, type Harness } from './harness.js';

describe.each(variants)('signing keys and malicious tokens (%s)', (variant) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(variant, { keyPublishLeadMs: 60_000 });
  });
  afterAll(() => h.close());

  const jwks = async () => (await h.app.inject('/.well-known/jwks.json')).json() as { keys: Array<JWK & { kid: string }> };
  const me = (token: string) => h.app.inject({ url: '/auth/me', headers: bearer(token) });

  it('stores private keys encrypted and publishes only public parts, cacheably', async () => {
    const res = await h.app.inject('/.well-known/jwks.json');
    expect(res.headers['cache-control']).toBe('public, max-age=30');
    const { keys } = res.json() as { keys: JWK[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
    expect(keys[0]).not.toHaveProperty('d');
    const { rows } = await h.db.query<{ private_key_enc: string }>('select private_key_enc from auth.signing_keys');
    expect(rows[0]?.private_key_enc).toMatch(/^v1\./);
    expect(rows[0]?.private_key_enc).not.toContain('PRIVATE KEY');
  });

  // Regression (outside review): the OpenID document advertised an implicit flow and ID-token algorithms that do not exist.
  it('serves RFC 8414 metadata advertising only what works, and no OpenID configuration', async () => {
    const res = await h.app.inject('/.well-known/oauth-authorization-server');
    expect(res.json()).toEqual({
      issuer: 'http://auth.test',
      token_endpoint: 'http://auth.test/oauth/token',
      jwks_uri: 'http://auth.test/.well-known/jwks.json',
      response_types_supported: [],
      grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint: 'http://auth.test/oauth/revoke',
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint: 'http://auth.test/oauth/introspect',
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    expect((await h.app.inject('/.well-known/openid-configuration')).statusCode).toBe(404);
  });

  it('rotates: publishes the next key before it signs, keeps the retired key until its tokens expire', async () => {
    const user = await register(h.app);
    const before = await login(h.app, user.email);
    const oldKid = decodeJwt(before.access_token).header['kid'];
    const nextKid = await h.module.keys.rotate();
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([oldKid, nextKid]);
    // Not yet: still signing with the old key.
    await h.module.keys.maintain();
    expect(decodeJwt((await login(h.app, user.email)).access_token).header['kid']).toBe(oldKid);
    h.clock.advance(61_000);
    await h.module.keys.maintain();
    const after = await login(h.app, user.email);
    expect(decodeJwt(after.access_token).header['kid']).toBe(nextKid);
    expect((await me(before.access_token)).statusCode).toBe(200);
    expect((await me(after.access_token)).statusCode).toBe(200);
    // After every token of the old key has expired, it leaves the JWKS.
    h.clock.advance(15 * 60_000 + 30_000 + 60_000 + 1_000);
    await h.module.keys.maintain();
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([nextKid]);
    const { rows } = await h.db.query<{ kid: string }>('select kid from auth.signing_keys');
    expect(rows.map((r) => r.kid)).toEqual([nextKid]);
  });

  it('rotates on schedule once the rotation interval has passed, moved by the clock alone', async () => {
    // The first instance's runs share this clock and would race this one's (a rotation it makes a
    // moment later wins and activates later): its schedule stays off for the rest of the suite.
    h.module.keys.stopSchedule();
    // A fresh instance, whose schedule has just armed its first run (none of its runs is under way).
    const instance = await h.restart();
    const keys = instance.module.keys;
    const before = keys.signingKey().kid;
    // No maintain() call of its own: the schedule runs it every keyReloadIntervalMs (30 s) by the clock.
    const maintain = vi.spyOn(keys, 'maintain');
    /** Waits for the last run and for the schedule to arm the next one. */
    const runEnds = async (): Promise<void> => {
      await maintain.mock.results.at(-1)?.value;
      await h.clock.advanceAsync(0);
    };
    try {
      // The run due on the way sees the time it was due at, long before the interval passed.
      h.clock.advance(31 * 86_400_000);
      expect(maintain).toHaveBeenCalledTimes(1);
      await runEnds();
      // The schedule armed the next run 30 s on: it finds the interval passed and introduces the next key.
      h.clock.advance(29_999);
      expect(maintain).toHaveBeenCalledTimes(1);
      h.clock.advance(1);
      expect(maintain).toHaveBeenCalledTimes(2);
      await runEnds();
      const { rows } = await h.db.query<{ status: string }>('select status from auth.signing_keys order by created_at');
      expect(rows.map((r) => r.status)).toEqual(['active', 'next']);
      h.clock.advance(30_000);
      expect(maintain).toHaveBeenCalledTimes(3);
      await runEnds();
      // The publish lead (60 s) has not passed yet.
      expect(keys.signingKey().kid).toBe(before);
      h.clock.advance(30_000);
      expect(maintain).toHaveBeenCalledTimes(4);
      await runEnds();
      expect(keys.signingKey().kid).not.toBe(before);
      const { rows: after } = await h.db.query<{ kid: string }>(`select kid from auth.signing_keys where status = 'active'`);
      expect(after[0]?.kid).toBe(keys.signingKey().kid);
    } finally {
      await instance.close();
    }
  });

  it('refuses each malicious or broken token with 401 and its own reason', async () => {
    const user = await register(h.app);
    const good = (await login(h.app, user.email)).access_token;
    const [header, , signature] = good.split('.') as [string, string, string];
    const claims = decodeJwt(good).payload;
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const kid = decodeJwt(good).header['kid'] as string;
    const publicJwk = (await jwks()).keys.find((k) => k.kid === kid)!;
    const { createPublicKey } = await import('node:crypto');
    const publicPem = createPublicKey({ key: publicJwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
    const hsWithPublicKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(publicPem));
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const foreignKey = await importPKCS8(foreign.export({ format: 'pem', type: 'pkcs8' }).toString(), 'RS256');
    const signedByStranger = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' }).sign(foreignKey);
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const activeKey = h.module.keys.signingKey();
    const sign = async (extra: Record<string, unknown>, head: Record<string, unknown> = {}) =>
      new SignJWT({ ...claims, ...extra })
        .setProtectedHeader({ alg: 'RS256', kid: activeKey.kid, typ: 'at+jwt', ...head })
        .sign(createPrivateKey(activeKey.privateKey.export({ format: 'pem', type: 'pkcs8' })));
    const cases: Array<[string, string, string]> = [
      ['alg none', new UnsecuredJWT(claims).encode(), 'INVALID_TOKEN'],
      ['HS256 signed with the public key', hsWithPublicKey, 'INVALID_TOKEN'],
      ['a tampered payload', `${header}.${encode({ ...claims, roles: ['ADMIN'] })}.${signature}`, 'INVALID_TOKEN'],
      ['a foreign signature', signedByStranger, 'INVALID_TOKEN'],
      ['a foreign issuer', await sign({ iss: 'https://evil.example' }), 'INVALID_TOKEN'],
      ['a foreign audience', await sign({ aud: 'someone-else' }), 'INVALID_TOKEN'],
      ['an expired token', await sign({ iat: now - 2000, exp: now - 1000 }), 'TOKEN_EXPIRED'],
      ['a not-yet-valid token', await sign({ nbf: now + 3600 }), 'INVALID_TOKEN'],
      ['an embedded jwk header', await sign({}, { jwk: { kty: 'RSA', n: 'x', e: 'AQAB' } }), 'INVALID_TOKEN'],
      ['garbage', 'abc.def.ghi', 'INVALID_TOKEN'],
    ];
    for (const [label, token, code] of cases) {
      const res = await me(token);
      expect({ label, status: res.statusCode, code: res.json().code }).toEqual({ label, status: 401, code });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect((await me(good)).statusCode).toBe(200);
  });
});

describe('signing algorithms and configured keys', () => {
  it.each(['ES256', 'EdDSA'] as const)('signs with %s by configuration', async (alg) => {
    const h = await startAuth('embedded', { signingAlg: alg });
    try {
      const user = await register(h.app);
      const tokens = await login(h.app, user.email);
      expect(decodeJwt(tokens.access_token).header['alg']).toBe(alg);
      expect((await h.app.inject({ url: '/auth/me', headers: bearer(tokens.access_token) })).statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('accepts a PEM from the environment as the only signing key', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const h = await startAuth('embedded', { signingKeyPem: pem });
    try {
      const { keys } = (await h.app.inject('/.well-known/jwks.json')).json() as { keys: JWK[] };
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      const user = await register(h.app);
      const tokens = await login(h.app, user.email);
      expect(decodeJwt(tokens.access_token).header['kid']).toBe(keys[0]?.kid);
      const { rows } = await h.db.query('select 1 from auth.signing_keys');
      expect(rows).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  // Regression: two rotations at once (two instances on the same tick) each introduced a next key.
  it('introduces one next key when two rotations race', async () => {
    const h = await startAuth('embedded', { signingAlg: 'EdDSA' });
    try {
      const other = await h.restart();
      try {
        const kids = await Promise.all([h.module.keys.rotate(), other.module.keys.rotate()]);
        const { rows } = await h.db.query<{ kid: string }>(`select kid from auth.signing_keys where status = 'next'`);
        expect(rows).toHaveLength(1);
        expect(kids).toEqual([rows[0]?.kid, rows[0]?.kid]);
      } finally {
        await other.close();
      }
    } finally {
      await h.close();
    }
  });

  // Regression: a 1024-bit PEM was accepted, and then every token it signed was refused by the verifiers.
  it('refuses to start with an RSA signing key under 2048 bits', async () => {
    const h = await startAuth('embedded');
    try {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      await expect(
        hostAuth(h, { settings: () => testSettings({ signingKeyPem: weak }), keyEncryptionKey: h.kek }),
      ).rejects.toMatchObject({ code: 'KEYS_UNAVAILABLE', message: expect.stringMatching(/1024 bits/) });
    } finally {
      await h.close();
    }
  });

  it('refuses to start with a key-encryption key that cannot open the stored keys', async () => {
    const h = await startAuth('embedded');
    try {
      const { randomBytes } = await import('node:crypto');
      await expect(
        hostAuth(h, { settings: () => testSettings(), keyEncryptionKey: randomBytes(32) }),
      ).rejects.toMatchObject({ code: 'KEYS_UNAVAILABLE' });
    } finally {
      await h.close();
    }
  });
});

/** Another auth instance on the harness's engines, created as a host creates it. */
function hostAuth(h: Harness, options: AuthServiceOptions) {
  return createServiceHost({
    definitions: [createAuthService(options)],
    engines: { db: h.db, bus: h.bus, store: h.store, clock: h.clock, logger: silentLogger, embeddedDataDir: undefined },
    env: loadConfig(RuntimeEnvSchema, {}),
  });
}

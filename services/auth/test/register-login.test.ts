import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bcrypt from 'bcrypt';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { bearer, decodeJwt, eventually, login, PASSWORD, register, startAuth, uniqueEmail, variants, type Harness } from './harness.js';

describe.each(variants)('register and login (%s)', (variant) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(variant);
  });
  afterAll(() => h.close());

  it('registers a student and publishes user.created through the outbox', async () => {
    const email = uniqueEmail();
    const res = await h.app.inject({ method: 'POST', url: '/auth/register', payload: { email: email.toUpperCase(), password: PASSWORD, displayName: ' Ada ' } });
    expect(res.statusCode).toBe(201);
    const user = res.json();
    expect(user).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email, displayName: 'Ada', roles: ['STUDENT'], createdAt: expect.any(String) });
    const { rows } = await h.db.query<{ password_hash: string }>('select password_hash from auth.users where id = $1', [user.id]);
    expect(rows[0]?.password_hash).toMatch(/^\$2b\$04\$/);
    await eventually(() => h.events.some((e) => e.type === 'user.created' && (e.data as { userId: string }).userId === user.id));
    const { rows: outbox } = await h.db.query<{ published_at: Date | null }>(`select published_at from auth.outbox where type = 'user.created'`);
    expect(outbox.length).toBeGreaterThan(0);
  });

  it('refuses a second account for the same email, whatever its case', async () => {
    const email = uniqueEmail();
    await register(h.app, email);
    const res = await h.app.inject({ method: 'POST', url: '/auth/register', payload: { email: email.toUpperCase(), password: PASSWORD, displayName: 'Bob' } });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('EMAIL_TAKEN');
  });

  it.each([
    ['a missing password', { email: 'a@example.com', displayName: 'A' }, 'VALIDATION_FAILED', '/password'],
    ['a malformed email', { email: 'not-an-email', password: PASSWORD, displayName: 'A' }, 'VALIDATION_FAILED', '/email'],
    ['an unknown field', { email: 'b@example.com', password: PASSWORD, displayName: 'A', roles: ['ADMIN'] }, 'VALIDATION_FAILED', '/roles'],
    ['a wrong type', { email: 'c@example.com', password: 12345678, displayName: 'A' }, 'VALIDATION_FAILED', '/password'],
    ['a short password', { email: 'd@example.com', password: 'abc', displayName: 'A' }, 'WEAK_PASSWORD', '/password'],
    ['a common password', { email: 'e@example.com', password: 'password123', displayName: 'A' }, 'WEAK_PASSWORD', '/password'],
    ['a password over 72 bytes', { email: 'f@example.com', password: 'é'.repeat(37), displayName: 'A' }, 'WEAK_PASSWORD', '/password'],
    ['a password containing the email', { email: 'frodo.baggins@example.com', password: 'xfrodo.baggins9', displayName: 'A' }, 'WEAK_PASSWORD', '/password'],
    ['a blank display name', { email: 'g@example.com', password: PASSWORD, displayName: '   ' }, 'VALIDATION_FAILED', '/displayName'],
  ])('rejects %s with 400 and the failing field', async (_label, payload, code, path) => {
    const res = await h.app.inject({ method: 'POST', url: '/auth/register', payload });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ code, errors: expect.arrayContaining([expect.objectContaining({ path })]) });
  });

  it('rejects malformed JSON and oversize bodies with 4xx problems', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/auth/login', payload: '{"email":', headers: { 'content-type': 'application/json' } });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'MALFORMED_JSON']);
    const big = await h.app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'h@example.com', password: PASSWORD, displayName: 'x'.repeat(100_000) } });
    expect([big.statusCode, big.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('logs in with an OAuth-shaped token response and a well-formed RS256 access token', async () => {
    const user = await register(h.app);
    const res = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, refresh_token: expect.stringMatching(/^rt_[A-Za-z0-9_-]{43}$/), refresh_expires_in: 604_800 });
    const { header, payload } = decodeJwt(body.access_token);
    const jwks = (await h.app.inject('/.well-known/jwks.json')).json() as { keys: JWK[] };
    expect(header).toEqual({ alg: 'RS256', kid: jwks.keys[0]?.kid, typ: 'at+jwt' });
    expect(await calculateJwkThumbprint(jwks.keys[0] as JWK)).toBe(header['kid']);
    expect(payload).toEqual({
      iss: 'http://auth.test',
      aud: 'realchat',
      sub: user.id,
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      roles: ['STUDENT'],
      iat: expect.any(Number),
      exp: (payload['iat'] as number) + 900,
      jti: expect.any(String),
    });
    const { rows } = await h.db.query<{ token_hash: Uint8Array }>('select token_hash from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id where s.user_id = $1', [user.id]);
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.token_hash).toString('base64url')).not.toContain(body.refresh_token.slice(3));
    const me = await h.app.inject({ url: '/auth/me', headers: bearer(body.access_token) });
    expect(me.json()).toMatchObject({ id: user.id, email: user.email });
  });

  it('answers an unknown email and a wrong password identically', async () => {
    const user = await register(h.app);
    const wrong = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: 'wrong password 1' } });
    const unknown = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: uniqueEmail(), password: 'wrong password 1' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect(wrong.json().code).toBe('INVALID_CREDENTIALS');
  });

  it('slows an account down after repeated failures, before checking the password', async () => {
    const user = await register(h.app);
    for (let i = 0; i < 5; i++) {
      const res = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: `wrong password ${i}` } });
      expect(res.statusCode).toBe(401);
    }
    const limited = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another IP is not blocked by the per-account-and-IP limit.
    const other = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD }, remoteAddress: '10.9.8.7' });
    expect(other.statusCode).toBe(200);
    if (variant === 'distributed') return; // Redis expires keys in real time; the memory store follows the injected clock.
    // Two windows pass (the limiter slides over the previous one): the account is usable again.
    h.clock.advance(31 * 60_000);
    expect((await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD } })).statusCode).toBe(200);
  });

  it('limits login attempts per IP', async () => {
    const limited = await h.restart({ loginIpLimitPerMinute: 3 });
    try {
      const ip = '10.1.2.3';
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        codes.push((await limited.app.inject({ method: 'POST', url: '/auth/login', payload: { email: uniqueEmail(), password: 'whatever 123' }, remoteAddress: ip })).statusCode);
      }
      expect(codes).toEqual([401, 401, 401, 429]);
    } finally {
      await limited.close();
    }
  });

  it('upgrades a hash made with an older cost at the next successful login', async () => {
    const user = await register(h.app);
    const stronger = await h.restart({ bcryptCost: 5 });
    try {
      await login(stronger.app, user.email);
      const { rows } = await h.db.query<{ password_hash: string }>('select password_hash from auth.users where id = $1', [user.id]);
      expect(bcrypt.getRounds(rows[0]!.password_hash)).toBe(5);
      expect(await bcrypt.compare(PASSWORD, rows[0]!.password_hash)).toBe(true);
    } finally {
      await stronger.close();
    }
  });
});

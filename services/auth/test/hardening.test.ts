import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '@realchat/config';
import { silentLogger } from '@realchat/logging';
import { appendToOutbox } from '@realchat/bus';
import { AUTH_SCHEMA, AuthEnvSchema, toAuthSettings } from '../src/index.js';
import { LoginThrottle } from '../src/services/login-throttle.js';
import { AuthEvents } from '../src/services/outbox.js';
import { PasswordService } from '../src/services/password.service.js';
import { RegisterThrottle } from '../src/services/register-throttle.js';
import { UserService } from '../src/services/user.service.js';
import { login, PASSWORD, register, startAuth, testSettings, uniqueEmail, variants, type Harness } from './harness.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(variants)('auth hardening (%s)', (variant) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(variant);
  });
  afterAll(() => h.close());

  const rolesOf = async (email: string): Promise<string[]> => {
    const { rows } = await h.db.query<{ roles: string[] }>('select roles from auth.users where email = $1', [email]);
    return rows[0]?.roles ?? [];
  };
  const startWithBootstrap = async (email: string): Promise<void> => {
    const instance = await h.restart({ bootstrapAdminEmail: email });
    await instance.close();
  };

  // Regression: every start-up made whoever had registered AUTH_BOOTSTRAP_ADMIN_EMAIL an admin.
  it('never promotes an account registered after the bootstrap address was first configured', async () => {
    const email = uniqueEmail();
    await startWithBootstrap(email);
    expect(await h.module.users.bootstrapAdmin(email)).toBe('no_account');
    h.clock.advance(1_000);
    await register(h.app, email); // by whoever comes first: emails are not verified
    await startWithBootstrap(email);
    expect(await rolesOf(email)).toEqual(['STUDENT']);
    expect(await h.module.users.bootstrapAdmin(email)).toBe('registered_after_configured');
  });

  it('grants the bootstrap admin at most once per database, and never next to an existing admin', async () => {
    const first = await register(h.app);
    await startWithBootstrap(first.email);
    expect(await rolesOf(first.email)).toEqual(['ADMIN', 'STUDENT']);

    // Demoted later (another admin, granted by the CLI, takes over): a restart must not undo it.
    const other = await register(h.app);
    expect(await h.module.users.grantAdmin(other.email)).toBe(true);
    await h.module.users.setRoles(other.id, first.id, ['STUDENT']);
    await startWithBootstrap(first.email);
    expect(await rolesOf(first.email)).toEqual(['STUDENT']);
    expect(await h.module.users.bootstrapAdmin(first.email)).toBe('already_granted');
    const another = await register(h.app);
    await startWithBootstrap(another.email);
    expect(await rolesOf(another.email)).toEqual(['STUDENT']);

    // A database whose first admin came from the CLI: the setting has nothing to bootstrap.
    await h.db.query('delete from auth.bootstrap_admin');
    const late = await register(h.app);
    expect(await h.module.users.bootstrapAdmin(late.email)).toBe('admin_exists');
    expect(await rolesOf(late.email)).toEqual(['STUDENT']);
  });

  // Regression: registrations had no limit, and each one costs a bcrypt hash in the logins' queue.
  it('limits registrations per IP with 429 RATE_LIMITED and Retry-After', async () => {
    const limited = await h.restart({ registerIpLimitPerMinute: 2 });
    try {
      const attempt = (remoteAddress: string) =>
        limited.app.inject({ method: 'POST', url: '/auth/register', remoteAddress, payload: { email: uniqueEmail(), password: PASSWORD, displayName: 'Eve' } });
      expect((await attempt('203.0.113.7')).statusCode).toBe(201);
      expect((await attempt('203.0.113.7')).statusCode).toBe(201);
      const third = await attempt('203.0.113.7');
      expect(third.statusCode).toBe(429);
      expect(third.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(third.json().code).toBe('RATE_LIMITED');
      expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await attempt('203.0.113.8')).statusCode).toBe(201);
      // One IPv6 subscriber holds a whole /64: rotating addresses inside it does not reset the count.
      expect((await attempt('2001:db8:1:2::1')).statusCode).toBe(201);
      expect((await attempt('2001:db8:1:2::2')).statusCode).toBe(201);
      expect((await attempt('2001:db8:1:2:ffff::3')).statusCode).toBe(429);
      expect((await attempt('2001:db8:1:3::1')).statusCode).toBe(201);
    } finally {
      await limited.close();
    }
  });

  // Regression: these 401s carried no challenge (RFC 9110 11.6.1).
  it('sends WWW-Authenticate with every 401 of the credential and refresh endpoints', async () => {
    const refresh = await h.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: `rt_${'A'.repeat(43)}` } });
    expect([refresh.statusCode, refresh.json().code]).toEqual([401, 'INVALID_TOKEN']);
    expect(refresh.headers['www-authenticate']).toBe('Bearer realm="realchat", error="invalid_token"');
    const user = await register(h.app);
    const wrong = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: 'wrong horse battery' } });
    expect([wrong.statusCode, wrong.json().code]).toEqual([401, 'INVALID_CREDENTIALS']);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="realchat"');
  });

  // Regression: a browser refreshing by cookie with no body got 400 "body must be object".
  it('takes no body on /auth/refresh and /auth/logout with the cookie transport, and asks for the token without it', async () => {
    const user = await register(h.app);
    const headers = { 'x-refresh-token-transport': 'cookie' };
    const res = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD }, headers });
    const cookie = res.cookies.find((c) => c.name === 'realchat_rt')!.value;
    const rotated = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { realchat_rt: cookie }, headers });
    expect(rotated.statusCode).toBe(200);
    const next = rotated.cookies.find((c) => c.name === 'realchat_rt')!.value;
    const out = await h.app.inject({ method: 'POST', url: '/auth/logout', cookies: { realchat_rt: next }, headers });
    expect(out.statusCode).toBe(204);
    // Regression (outside review): the clearing cookie lacked the attributes of the cookie it replaces.
    const cleared = out.cookies.find((c) => c.name === 'realchat_rt');
    expect(cleared).toMatchObject({ value: '', path: '/auth', httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(cleared?.expires?.getTime()).toBe(0);

    // Body transport: no body is a clear validation error, the token in the body works.
    for (const url of ['/auth/refresh', '/auth/logout']) {
      const missing = await h.app.inject({ method: 'POST', url });
      expect([missing.statusCode, missing.json().code, missing.json().errors?.[0]?.path]).toEqual([400, 'VALIDATION_FAILED', '/refresh_token']);
    }
    const tokens = await login(h.app, user.email);
    expect((await h.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens.refresh_token } })).statusCode).toBe(200);
  });

  // Regression: a browser on the cookie transport sending `content-type: application/json` with an empty body got 400 MALFORMED_JSON.
  it('reads an empty JSON body as {} on /auth/refresh and /auth/logout only', async () => {
    const user = await register(h.app);
    const headers = { 'x-refresh-token-transport': 'cookie', 'content-type': 'application/json' };
    const res = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD }, headers });
    const cookie = res.cookies.find((c) => c.name === 'realchat_rt')!.value;
    const rotated = await h.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { realchat_rt: cookie }, headers, payload: '' });
    expect(rotated.statusCode).toBe(200);
    const next = rotated.cookies.find((c) => c.name === 'realchat_rt')!.value;
    // As browsers send it: Content-Length 0.
    const out = await h.app.inject({ method: 'POST', url: '/auth/logout', cookies: { realchat_rt: next }, headers: { ...headers, 'content-length': '0' }, payload: '' });
    expect(out.statusCode).toBe(204);
    // Without the cookie transport an empty body asks for the token, as no body does.
    const missing = await h.app.inject({ method: 'POST', url: '/auth/refresh', headers: { 'content-type': 'application/json' }, payload: '' });
    expect([missing.statusCode, missing.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    // A non-empty body is still parsed strictly, and other routes keep refusing an empty JSON body.
    const broken = await h.app.inject({ method: 'POST', url: '/auth/refresh', headers, payload: '{' });
    expect([broken.statusCode, broken.json().code]).toEqual([400, 'MALFORMED_JSON']);
    const login = await h.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '' });
    expect([login.statusCode, login.json().code]).toEqual([400, 'MALFORMED_JSON']);
  });

  // Regression: a new object per call made the in-process verifier re-import the keys on every uncached verify.
  it('serves the same JWKS object until the keys change', async () => {
    const first = h.module.jwks();
    expect(h.module.jwks()).toBe(first);
    expect(h.module.keys.jwks()).toBe(first);
    await h.module.keys.maintain(); // a periodic reload that finds nothing new
    expect(h.module.jwks()).toBe(first);
    const kid = await h.module.keys.rotate();
    const rotated = h.module.jwks();
    expect(rotated).not.toBe(first);
    expect(rotated.keys.map((k) => k.kid)).toContain(kid);
    expect(h.module.jwks()).toBe(rotated);
  });

  // Regression: a revoked client's service tokens were still reported active.
  it('reports the tokens of a revoked client inactive on introspection', async () => {
    const victim = await h.module.clients.create('revoked-soon', ['users:read']);
    const auditor = await h.module.clients.create('auditor', []);
    const issued = await h.app.inject({ method: 'POST', url: '/oauth/token', payload: form({ grant_type: 'client_credentials' }), headers: { ...FORM, ...basic(victim.clientId, victim.clientSecret) } });
    const token = issued.json().access_token as string;
    const introspect = () => h.app.inject({ method: 'POST', url: '/oauth/introspect', payload: form({ token }), headers: { ...FORM, ...basic(auditor.clientId, auditor.clientSecret) } });
    expect((await introspect()).json()).toMatchObject({ active: true, client_id: victim.clientId });
    expect(await h.module.clients.revoke(victim.clientId)).toBe(true);
    expect((await introspect()).json()).toEqual({ active: false });
  });

  // Regression guard: an unknown email must pay the dummy hash, or its faster answer tells it apart.
  it('runs the dummy hash for an unknown email and the real check for a known one', async () => {
    const settings = testSettings();
    const passwords = new PasswordService({ cost: 4, concurrency: 1 });
    const dummy = vi.spyOn(passwords, 'verifyAgainstDummy');
    const verify = vi.spyOn(passwords, 'verify');
    const users = new UserService({
      db: h.db,
      passwords,
      sessions: h.module.sessions,
      throttle: new LoginThrottle(h.store, settings, h.clock),
      registerThrottle: new RegisterThrottle(h.store, settings, h.clock),
      events: new AuthEvents({ clock: h.clock, outbox: { append: (tx, event) => appendToOutbox(tx, AUTH_SCHEMA, event), committed: () => undefined } }),
      clock: h.clock,
      logger: silentLogger,
      deviceKey: Buffer.alloc(32),
    });
    const meta = { ip: '198.51.100.9', userAgent: null };
    await expect(users.login({ email: uniqueEmail(), password: PASSWORD }, meta)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect([dummy.mock.calls.length, verify.mock.calls.length]).toEqual([1, 0]);
    const known = await register(h.app);
    await expect(users.login({ email: known.email, password: 'wrong horse battery' }, meta)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect([dummy.mock.calls.length, verify.mock.calls.length]).toEqual([1, 1]);
  });
});

describe('AUTH_REFRESH_GRACE', () => {
  it('is capped at 60 s with a configuration error naming the variable', () => {
    expect(toAuthSettings(loadConfig(AuthEnvSchema, { AUTH_REFRESH_GRACE: '60s' })).refreshGraceMs).toBe(60_000);
    expect(() => toAuthSettings(loadConfig(AuthEnvSchema, { AUTH_REFRESH_GRACE: '61s' }))).toThrow(ConfigError);
    expect(() => toAuthSettings(loadConfig(AuthEnvSchema, { AUTH_REFRESH_GRACE: '1h' }))).toThrow(/AUTH_REFRESH_GRACE must be at most 60s/);
  });
});

describe('AUTH_REGISTER_IP_LIMIT', () => {
  it('defaults to 30 per minute and takes a positive integer', () => {
    expect(toAuthSettings(loadConfig(AuthEnvSchema, {})).registerIpLimitPerMinute).toBe(30);
    expect(toAuthSettings(loadConfig(AuthEnvSchema, { AUTH_REGISTER_IP_LIMIT: '3' })).registerIpLimitPerMinute).toBe(3);
    expect(() => loadConfig(AuthEnvSchema, { AUTH_REGISTER_IP_LIMIT: '0' })).toThrow(/AUTH_REGISTER_IP_LIMIT/);
  });
});

// Regression (outside review): AUTH_ISSUER defaulted to http://localhost:8080 whatever PORT was, so discovery pointed elsewhere.
describe('AUTH_ISSUER', () => {
  const issuerOf = (env: Record<string, string>, listen: { PORT?: number; HOST?: string; ANNOUNCE_URL?: string } = {}) =>
    toAuthSettings({ ...loadConfig(AuthEnvSchema, env), ...listen }).issuer;

  it('defaults to the address the process listens on', () => {
    expect(issuerOf({})).toBe('http://127.0.0.1:8080');
    expect(issuerOf({}, { PORT: 18700 })).toBe('http://127.0.0.1:18700');
    expect(issuerOf({}, { PORT: 18700, HOST: 'auth.internal' })).toBe('http://auth.internal:18700');
    expect(issuerOf({}, { PORT: 18700, HOST: '0.0.0.0' })).toBe('http://127.0.0.1:18700');
    expect(issuerOf({}, { PORT: 18700, HOST: '::' })).toBe('http://[::1]:18700');
    expect(issuerOf({}, { PORT: 18700, HOST: 'fd00::5' })).toBe('http://[fd00::5]:18700');
  });

  it('takes an explicit value as it is, and requires one behind a gateway (ANNOUNCE_URL)', () => {
    expect(issuerOf({ AUTH_ISSUER: 'https://chat.example/' }, { PORT: 18700 })).toBe('https://chat.example/');
    expect(() => issuerOf({}, { PORT: 8081, ANNOUNCE_URL: 'http://127.0.0.1:8081' })).toThrow(/AUTH_ISSUER must be set with ANNOUNCE_URL/);
    expect(issuerOf({ AUTH_ISSUER: 'https://chat.example' }, { ANNOUNCE_URL: 'http://127.0.0.1:8081' })).toBe('https://chat.example');
    expect(() => loadConfig(AuthEnvSchema, { AUTH_ISSUER: 'https://chat.example/?a=1' })).toThrow(/AUTH_ISSUER/);
  });
});

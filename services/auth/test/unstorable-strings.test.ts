import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@realchat/logging';
import { bearer, login, PASSWORD, register, startAuth, uniqueEmail, variants, type Harness } from './harness.js';

/**
 * Regression (outside review): strings PostgreSQL cannot store (U+0000, lone surrogates) reached
 * the database and answered 500, after a bcrypt hash had been spent; and the 500's log line held
 * the statement's parameters, the new user's email and password hash among them.
 */
describe.each(variants)('strings the database cannot store (%s)', (variant) => {
  let h: Harness;
  const lines: string[] = [];
  beforeAll(async () => {
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    h = await startAuth(variant, {}, { logger });
  });
  afterAll(() => h.close());

  const registerWith = (displayName: string, email = uniqueEmail()) =>
    h.app.inject({ method: 'POST', url: '/auth/register', payload: JSON.stringify({ email, password: PASSWORD, displayName }), headers: { 'content-type': 'application/json' } });

  it('refuses NUL and lone surrogates in a body with 400 VALIDATION_FAILED, before any hash or insert', async () => {
    for (const displayName of ['Ada\u0000', '\ud800', 'x\udc00y', 'Ada\ud800\ud800']) {
      const email = uniqueEmail();
      const res = await registerWith(displayName, email);
      expect({ displayName, status: res.statusCode, code: res.json().code }).toEqual({ displayName, status: 400, code: 'VALIDATION_FAILED' });
      expect(res.json().errors).toContainEqual({ path: '/displayName', message: expect.stringMatching(/NUL|surrogate/) });
      const { rows } = await h.db.query('select 1 from auth.users where email = $1', [email]);
      expect(rows).toEqual([]);
    }
    // A well-formed pair (an emoji) is fine.
    expect((await registerWith('Ada \ud83d\ude00')).statusCode).toBe(201);
  });

  it('refuses them in a query string and in a form body too', async () => {
    const admin = await register(h.app);
    await h.module.users.grantAdmin(admin.email);
    const tokens = await login(h.app, admin.email);
    const res = await h.app.inject({ url: '/auth/users?email=%00', headers: bearer(tokens.access_token) });
    expect([res.statusCode, res.json().code, res.json().errors]).toEqual([400, 'VALIDATION_FAILED', [{ path: 'querystring/email', message: expect.any(String) }]]);
    const form = await h.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: `grant_type=password&username=${encodeURIComponent(admin.email)}&password=a%00b`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([form.statusCode, form.json().error]).toEqual([400, 'invalid_request']);
  });

  it('logs a database error without the statement parameters or row values', async () => {
    // A database error the validator cannot foresee: a check constraint the test adds for the occasion.
    await h.db.query(`alter table auth.users add constraint test_no_boom check (display_name <> 'Boom')`);
    try {
      const email = uniqueEmail();
      lines.length = 0;
      const res = await registerWith('Boom', email);
      expect([res.statusCode, res.json().code]).toEqual([500, 'INTERNAL']);
      const log = lines.join('');
      expect(log).toMatch(/request failed/);
      expect(log).toMatch(/test_no_boom/);
      expect(log).not.toContain(email);
      expect(log).not.toContain(PASSWORD);
      expect(log).not.toMatch(/\$2[aby]\$/);
    } finally {
      await h.db.query('alter table auth.users drop constraint test_no_boom');
    }
  });
});

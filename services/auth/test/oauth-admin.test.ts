import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '@realchat/db';
import { createTcpProxy, createTestDatabase, testDatabaseUrl } from '@realchat/db/testing';
import { bearer, decodeJwt, eventually, login, PASSWORD, register, startAuth, variants, type Harness } from './harness.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

describe.each(variants)('OAuth 2.0 endpoints, roles and internal routes (%s)', (variant) => {
  let h: Harness;
  let client: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    h = await startAuth(variant);
    client = await h.module.clients.create('chat-service', ['users:read']);
  });
  afterAll(() => h.close());

  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/oauth/token', payload: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

  it('issues tokens by the password grant and rotates them by the refresh_token grant', async () => {
    const user = await register(h.app);
    const res = await token({ grant_type: 'password', username: user.email, password: PASSWORD });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const first = res.json();
    expect(first).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_token: expect.any(String) });
    const next = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(next.statusCode).toBe(200);
    expect(next.json().refresh_token).not.toBe(first.refresh_token);
  });

  it('answers with RFC 6749 error bodies', async () => {
    const user = await register(h.app);
    const cases: Array<[Record<string, string>, Record<string, string>, number, string]> = [
      [{ grant_type: 'password', username: user.email, password: 'wrong password!' }, {}, 400, 'invalid_grant'],
      [{ grant_type: 'refresh_token', refresh_token: 'rt_' + 'B'.repeat(43) }, {}, 400, 'invalid_grant'],
      [{ grant_type: 'implicit' }, {}, 400, 'unsupported_grant_type'],
      [{ grant_type: 'password' }, {}, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials' }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, basic(client.clientId, 'cs_wrong'), 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, basic('svc_unknown', client.clientSecret), 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', scope: 'users:write' }, basic(client.clientId, client.clientSecret), 400, 'invalid_scope'],
      [{}, {}, 400, 'invalid_request'],
    ];
    for (const [fields, headers, status, error] of cases) {
      const res = await token(fields, headers);
      expect({ fields, status: res.statusCode, error: res.json().error }).toEqual({ fields, status, error });
      expect(res.json().error_description).toEqual(expect.any(String));
    }
    const json = await h.app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'password' } });
    expect([json.statusCode, json.json().error]).toEqual([400, 'invalid_request']);
  });

  it('issues service tokens by client credentials (Basic or body) that unlock the internal user route', async () => {
    const user = await register(h.app);
    const viaBasic = await token({ grant_type: 'client_credentials' }, basic(client.clientId, client.clientSecret));
    expect(viaBasic.statusCode).toBe(200);
    const service = viaBasic.json();
    expect(service).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, scope: 'users:read' });
    expect(decodeJwt(service.access_token).payload).toMatchObject({ sub: client.clientId, client_id: client.clientId, scope: 'users:read' });
    const viaBody = await token({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope: 'users:read' });
    expect(viaBody.statusCode).toBe(200);

    const res = await h.app.inject({ url: `/internal/users/${user.id}`, headers: bearer(service.access_token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: user.id, displayName: 'Ada', roles: ['STUDENT'], createdAt: expect.any(String) });
    const student = await login(h.app, user.email);
    const forbidden = await h.app.inject({ url: `/internal/users/${user.id}`, headers: bearer(student.access_token) });
    expect([forbidden.statusCode, forbidden.json().code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    expect((await h.app.inject({ url: `/internal/users/${user.id}` })).statusCode).toBe(401);
    // A service token is not a user: user routes refuse it with 403.
    expect((await h.app.inject({ url: '/auth/me', headers: bearer(service.access_token) })).statusCode).toBe(403);
  });

  it('introspects (client-authenticated) and revokes tokens', async () => {
    const user = await register(h.app);
    const tokens = await login(h.app, user.email);
    const introspect = (t: string, headers: Record<string, string> = basic(client.clientId, client.clientSecret)) =>
      h.app.inject({ method: 'POST', url: '/oauth/introspect', payload: form({ token: t }), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    expect((await introspect(tokens.access_token, {})).statusCode).toBe(401);
    expect((await introspect(tokens.access_token)).json()).toMatchObject({ active: true, token_type: 'access_token', sub: user.id, roles: ['STUDENT'] });
    expect((await introspect(tokens.refresh_token)).json()).toMatchObject({ active: true, token_type: 'refresh_token', sub: user.id });
    expect((await introspect('garbage')).json()).toEqual({ active: false });

    const revoke = await h.app.inject({ method: 'POST', url: '/oauth/revoke', payload: form({ token: tokens.refresh_token }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(revoke.statusCode).toBe(200);
    expect((await introspect(tokens.refresh_token)).json()).toEqual({ active: false });
    expect((await introspect(tokens.access_token)).json()).toEqual({ active: false });
    const unknown = await h.app.inject({ method: 'POST', url: '/oauth/revoke', payload: form({ token: 'nonsense' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(unknown.statusCode).toBe(200);
    // Revoking an access token revokes its session.
    const other = await login(h.app, user.email);
    await h.app.inject({ method: 'POST', url: '/oauth/revoke', payload: form({ token: other.access_token, token_type_hint: 'access_token' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect((await h.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: other.refresh_token } })).statusCode).toBe(401);
  });

  it('lets only admins change roles; the first admin comes from configuration, not an endpoint', async () => {
    const admin = await register(h.app);
    const student = await register(h.app);
    const studentTokens = await login(h.app, student.email);
    const patch = (id: string, roles: string[], t: string) => h.app.inject({ method: 'PATCH', url: `/auth/users/${id}/roles`, payload: { roles }, headers: bearer(t) });
    const denied = await patch(student.id, ['STUDENT', 'ADMIN'], studentTokens.access_token);
    expect([denied.statusCode, denied.json().code]).toEqual([403, 'INSUFFICIENT_SCOPE']);

    const bootstrapped = await h.restart({ bootstrapAdminEmail: admin.email });
    await bootstrapped.close();
    const adminTokens = await login(h.app, admin.email);
    expect(decodeJwt(adminTokens.access_token).payload['roles']).toEqual(['ADMIN', 'STUDENT']);

    const promoted = await patch(student.id, ['STUDENT', 'ADMIN'], adminTokens.access_token);
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().roles).toEqual(['ADMIN', 'STUDENT']);
    await eventually(() => h.events.some((e) => e.type === 'user.roles_changed' && (e.data as { userId: string }).userId === student.id));
    // Demotion revokes the demoted user's sessions: their tokens no longer carry the old role.
    const asAdmin = await login(h.app, student.email);
    expect((await patch(student.id, ['STUDENT'], adminTokens.access_token)).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/auth/me', headers: bearer(asAdmin.access_token) })).statusCode).toBe(401);

    expect((await patch('00000000-0000-7000-8000-000000000000', ['STUDENT'], adminTokens.access_token)).statusCode).toBe(404);
    expect((await patch(student.id, ['ROOT'], adminTokens.access_token)).statusCode).toBe(400);
    const last = await patch(admin.id, ['STUDENT'], adminTokens.access_token);
    expect([last.statusCode, last.json().code]).toEqual([409, 'CONFLICT']);
  });

  // Regression: the admin count was read without a lock, so two admins demoting each other at once both succeeded.
  // PGlite has one connection: transactions cannot interleave there, so these races exist only on PostgreSQL.
  if (variant === 'distributed') {
    it('keeps the last administrator when another admin is demoted concurrently', async () => {
      const admin = await register(h.app);
      expect(await h.module.users.grantAdmin(admin.email)).toBe(true);
      const adminTokens = await login(h.app, admin.email);
      let demoted!: () => void;
      let release!: () => void;
      const demotedPromise = new Promise<void>((r) => (demoted = r));
      const released = new Promise<void>((r) => (release = r));
      const concurrent = h.db.transaction(async (tx) => {
        // A concurrent demotion of every other administrator, not committed yet.
        await tx.query(`update auth.users set roles = array['STUDENT'] where 'ADMIN' = any(roles) and id <> $1`, [admin.id]);
        demoted();
        await released;
      });
      await demotedPromise;
      // Sent from outside the transaction's callback, as another client would: the database refuses root calls inside it.
      const pending = h.app.inject({ method: 'PATCH', url: `/auth/users/${admin.id}/roles`, payload: { roles: ['STUDENT'] }, headers: bearer(adminTokens.access_token) });
      await new Promise((r) => setTimeout(r, 300));
      release();
      await concurrent;
      const res = await pending;
      expect([res.statusCode, res.json().code]).toEqual([409, 'CONFLICT']);
      const { rows } = await h.db.query<{ n: number }>(`select count(*)::int as n from auth.users where 'ADMIN' = any(roles)`);
      expect(rows[0]?.n).toBe(1);
    });
  }
});

describe('database outage (PostgreSQL behind a TCP proxy)', () => {
  it('answers 503 problem+json without internals, and recovers by itself', async () => {
    const base = await createTestDatabase('postgres');
    const proxy = await createTcpProxy({ host: '127.0.0.1', port: 5432 });
    const url = new URL(testDatabaseUrl(base.name));
    url.port = String(proxy.port);
    const db = Object.assign(createPostgresDatabase({ url: url.toString(), max: 4, connectionTimeoutMs: 500 }), { name: base.name, url: url.toString() });
    const h = await startAuth('embedded', {}, { db });
    try {
      const user = await register(h.app);
      await proxy.stop();
      const down = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD } });
      expect(down.statusCode).toBe(503);
      expect(down.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(down.json().code).toBe('DATABASE_UNAVAILABLE');
      expect(down.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
      expect((await h.app.inject('/readyz')).statusCode).toBe(503);
      await proxy.start();
      await eventually(async () => (await h.app.inject('/readyz')).statusCode === 200);
      expect((await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD } })).statusCode).toBe(200);
    } finally {
      await h.close();
      await db.close();
      await proxy.close();
      await base.close();
    }
  });
});

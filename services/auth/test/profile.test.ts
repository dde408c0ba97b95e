import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '@realchat/contracts';
import { silentLogger } from '@realchat/logging';
import { remoteIdentity } from '@realchat/runtime';
import { bearer, eventually, login, register, startAuth, uniqueEmail, variants, type Harness } from './harness.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

describe.each(variants)('profile changes and user lookups for other services (%s)', (variant) => {
  let h: Harness;
  let client: { clientId: string; clientSecret: string };
  const updates: EventEnvelope[] = [];
  beforeAll(async () => {
    h = await startAuth(variant);
    client = await h.module.clients.create('chat-service', ['users:read']);
    await h.bus.subscribe({ types: ['user.updated'], handler: async (e) => void updates.push(e) });
  });
  afterAll(() => h.close());

  /** `fetch` answered by the auth app itself, as another process would reach it over HTTP. */
  const viaApp: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const res = await h.app.inject({
      method: init?.method === 'POST' ? 'POST' : 'GET',
      url: url.pathname + url.search,
      headers: init?.headers as Record<string, string>,
      ...(typeof init?.body === 'string' ? { payload: init.body } : {}),
    });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? 'text/plain') } });
  };

  it('PATCH /auth/me renames the user, trimmed, and tells the others with user.updated in the same transaction', async () => {
    const user = await register(h.app);
    const tokens = await login(h.app, user.email);
    const res = await h.app.inject({ method: 'PATCH', url: '/auth/me', headers: bearer(tokens.access_token), payload: { displayName: '  Grace Hopper ' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: user.id, email: user.email, displayName: 'Grace Hopper', roles: ['STUDENT'], createdAt: expect.any(String) });
    expect((await h.app.inject({ url: '/auth/me', headers: bearer(tokens.access_token) })).json()).toMatchObject({ displayName: 'Grace Hopper' });
    await eventually(() => updates.some((e) => (e.data as { userId: string }).userId === user.id));
    const event = updates.find((e) => (e.data as { userId: string }).userId === user.id)!;
    expect(event).toMatchObject({ type: 'user.updated', version: 1, producer: 'auth', data: { userId: user.id, displayName: 'Grace Hopper', updatedAt: expect.any(String) } });
    const { rows } = await h.db.query<{ type: string }>(`select type from auth.outbox where data->>'userId' = $1 and type like 'user.%' order by seq`, [user.id]);
    expect(rows.map((r) => r.type)).toEqual(['user.created', 'user.updated']);

    // The clock has not moved (the harness's is manual): each change is still strictly newer than the last.
    await h.app.inject({ method: 'PATCH', url: '/auth/me', headers: bearer(tokens.access_token), payload: { displayName: 'Grace' } });
    const { rows: stamps } = await h.db.query<{ at: string }>(
      `select coalesce(data->>'updatedAt', data->>'createdAt') as at from auth.outbox where data->>'userId' = $1 and type like 'user.%' order by seq`,
      [user.id],
    );
    const times = stamps.map((r) => Date.parse(r.at));
    expect(times).toHaveLength(3);
    expect(times[0]! < times[1]! && times[1]! < times[2]!).toBe(true);
  });

  it('refuses a blank, too long or extra field, and callers without a user token', async () => {
    const user = await register(h.app);
    const tokens = await login(h.app, user.email);
    const patch = (payload: unknown, headers = bearer(tokens.access_token)) => h.app.inject({ method: 'PATCH', url: '/auth/me', headers, payload: payload as Record<string, unknown> });
    for (const payload of [{ displayName: '   ' }, { displayName: '' }, { displayName: 'x'.repeat(65) }, { displayName: 'Ada', email: 'x@example.com' }, {}, { displayName: 7 }]) {
      const res = await patch(payload);
      expect([res.statusCode, res.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await patch({ displayName: 'Ada' }, {})).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/auth/me', headers: bearer(tokens.access_token) })).json().displayName).toBe('Ada');
    expect(updates.some((e) => (e.data as { userId: string }).userId === user.id)).toBe(false);
  });

  it('finds a user by email for a service with users:read (GET /internal/users?email=), never for a user token', async () => {
    const user = await register(h.app);
    const service = (await h.app.inject({ method: 'POST', url: '/oauth/token', payload: form({ grant_type: 'client_credentials' }), headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(client.clientId, client.clientSecret) } })).json<{ access_token: string }>();
    const byEmail = (email: string, token = service.access_token) => h.app.inject({ url: `/internal/users?${new URLSearchParams({ email }).toString()}`, headers: bearer(token) });
    const found = await byEmail(user.email.toUpperCase());
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ id: user.id, displayName: 'Ada', roles: ['STUDENT'], createdAt: expect.any(String) });
    expect([(await byEmail(uniqueEmail())).statusCode, (await byEmail(uniqueEmail())).json().code]).toEqual([404, 'NOT_FOUND']);
    expect([(await byEmail('not an email')).statusCode, (await byEmail('not an email')).json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const student = await login(h.app, user.email);
    expect([(await byEmail(user.email, student.access_token)).statusCode, (await byEmail(user.email, student.access_token)).json().code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    expect((await h.app.inject({ url: `/internal/users?email=${encodeURIComponent(user.email)}` })).statusCode).toBe(401);
  });

  it('serves the identity lookups in process (embedded) and over its internal routes with a service token (distributed)', async () => {
    const user = await register(h.app);
    const expected = { id: user.id, displayName: 'Ada', roles: ['STUDENT'] };
    const env = { AUTH_ISSUER: 'http://auth.test', AUTH_AUDIENCE: 'realchat', AUTH_ACCESS_TOKEN_TTL: '15m' };
    const remote = remoteIdentity({ ...env, AUTH_CLIENT_ID: client.clientId, AUTH_CLIENT_SECRET: client.clientSecret }, { clock: h.clock, logger: silentLogger, fetch: viaApp });
    for (const identity of [h.module.identity, remote]) {
      expect(await identity.findUser(user.id)).toEqual(expected);
      expect(await identity.findUserByEmail(` ${user.email.toUpperCase()}`)).toEqual(expected);
      expect(await identity.findUser('01a237de-2d1a-7479-ab1b-b0b2c27125b9')).toBeNull();
      expect(await identity.findUserByEmail(uniqueEmail())).toBeNull();
    }
    // A wrong AUTH_INTERNAL_URL (a 404 for the route, not for the user) is not "no such user".
    const astray = remoteIdentity({ ...env, AUTH_INTERNAL_URL: 'http://auth.test/', AUTH_CLIENT_ID: client.clientId, AUTH_CLIENT_SECRET: client.clientSecret }, {
      clock: h.clock,
      logger: silentLogger,
      fetch: async (input, init) => (String(input).includes('/internal/') ? new Response('{"code":"ROUTE_NOT_FOUND"}', { status: 404 }) : viaApp(input, init)),
    });
    await expect(astray.findUser(user.id)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    const refused = remoteIdentity({ ...env, AUTH_CLIENT_ID: client.clientId, AUTH_CLIENT_SECRET: 'cs_wrong' }, { clock: h.clock, logger: silentLogger, fetch: viaApp });
    await expect(refused.findUser(user.id)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });

    // Without credentials: one warning when made, SERVICE_UNAVAILABLE only when used.
    const warn = vi.spyOn(silentLogger, 'warn');
    const none = remoteIdentity(env, { clock: h.clock, logger: silentLogger, fetch: viaApp });
    expect(warn).toHaveBeenCalledTimes(1);
    await expect(none.findUser(user.id)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    await expect(none.findUserByEmail(user.email)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, decodeJwt, eventually, login, PASSWORD, register, startAuth, variants, type Harness } from './harness.js';

describe.each(variants)('refresh rotation and sessions (%s)', (variant) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(variant);
  });
  afterAll(() => h.close());

  const refresh = (token: string) => h.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: token } });
  const sessionCount = async (userId: string) =>
    (await h.db.query<{ n: number }>('select count(*)::int as n from auth.sessions where user_id = $1', [userId])).rows[0]?.n;

  it('publishes session.started with each sign-in, saying whether the user agent is new for this user', async () => {
    const user = await register(h.app);
    await login(h.app, user.email, PASSWORD, { 'user-agent': 'Laptop/1' });
    await login(h.app, user.email, PASSWORD, { 'user-agent': 'Laptop/1' });
    const phone = await login(h.app, user.email, PASSWORD, { 'user-agent': 'Phone/2' });
    const { rows } = await h.db.query<{ data: { sessionId: string; userAgent: string | null; newDevice: boolean } }>(
      `select data from auth.outbox where type = 'session.started' and data->>'userId' = $1 order by seq`,
      [user.id],
    );
    // The very first sign-in is not news to warn about; the same agent again neither.
    expect(rows.map((r) => [r.data.userAgent, r.data.newDevice])).toEqual([
      ['Laptop/1', false],
      ['Laptop/1', false],
      ['Phone/2', true],
    ]);
    expect(rows[2]!.data.sessionId).toBe(decodeJwt(phone.access_token).payload['sid']);
  });

  it('rotates: a new refresh token each time, the same session id', async () => {
    const user = await register(h.app);
    const first = await login(h.app, user.email);
    const res = await refresh(first.refresh_token);
    expect(res.statusCode).toBe(200);
    const second = res.json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(second.access_token).payload['sid']).toBe(decodeJwt(first.access_token).payload['sid']);
    expect((await refresh(second.refresh_token)).statusCode).toBe(200);
  });

  it('gives the same successor to a replay of the immediate parent within the grace window', async () => {
    const user = await register(h.app);
    const first = await login(h.app, user.email);
    const a = (await refresh(first.refresh_token)).json();
    h.clock.advance(2_000);
    const again = await refresh(first.refresh_token);
    expect(again.statusCode).toBe(200);
    expect(again.json().refresh_token).toBe(a.refresh_token);
    // The session survived: its successor still works.
    expect((await refresh(a.refresh_token)).statusCode).toBe(200);
  });

  it('revokes the whole family when a spent token is replayed after the grace window', async () => {
    const user = await register(h.app);
    const first = await login(h.app, user.email);
    const second = (await refresh(first.refresh_token)).json();
    h.clock.advance(6_000);
    const replay = await refresh(first.refresh_token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('INVALID_TOKEN');
    // The thief's and the user's tokens are now both dead, and so is the access token.
    expect((await refresh(second.refresh_token)).statusCode).toBe(401);
    const me = await h.app.inject({ url: '/auth/me', headers: bearer(second.access_token) });
    expect(me.statusCode).toBe(401);
    const sid = decodeJwt(first.access_token).payload['sid'];
    await eventually(() => h.events.some((e) => e.type === 'session.revoked' && (e.data as { sessionId: string; reason: string }).sessionId === sid));
    const event = h.events.find((e) => e.type === 'session.revoked' && (e.data as { sessionId: string }).sessionId === sid);
    expect(event?.data).toMatchObject({ reason: 'reuse_detected', userId: user.id, accessTokenExpiresAt: expect.any(String) });
    expect(Date.parse((event?.data as { accessTokenExpiresAt: string }).accessTokenExpiresAt)).toBe((decodeJwt(second.access_token).payload['exp'] as number) * 1000);
  });

  it('treats a replay of a grandparent as theft even within the grace window', async () => {
    const user = await register(h.app);
    const t0 = await login(h.app, user.email);
    const t1 = (await refresh(t0.refresh_token)).json();
    const t2 = (await refresh(t1.refresh_token)).json();
    expect((await refresh(t0.refresh_token)).statusCode).toBe(401);
    expect((await refresh(t2.refresh_token)).statusCode).toBe(401);
  });

  it('survives ten concurrent refreshes of one token: one family, one successor, no error', async () => {
    const user = await register(h.app);
    const first = await login(h.app, user.email);
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(first.refresh_token)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    const successors = new Set(results.map((r) => r.json().refresh_token));
    expect(successors.size).toBe(1);
    expect(await sessionCount(user.id)).toBe(1);
    const { rows } = await h.db.query<{ n: number }>(
      'select count(*)::int as n from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id where s.user_id = $1',
      [user.id],
    );
    expect(rows[0]?.n).toBe(2);
    expect((await refresh([...successors][0] as string)).statusCode).toBe(200);
  });

  it.each([
    ['unknown', 'rt_' + 'A'.repeat(43)],
    ['malformed', 'not-a-token'],
  ])('refuses an %s refresh token with 401 INVALID_TOKEN', async (_label, token) => {
    const res = await refresh(token);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('INVALID_TOKEN');
  });

  it('expires access tokens after 15 minutes and refresh tokens after 7 days (injected clock)', async () => {
    const user = await register(h.app);
    const tokens = await login(h.app, user.email);
    h.clock.advance(15 * 60_000 + 6_000);
    const expired = await h.app.inject({ url: '/auth/me', headers: bearer(tokens.access_token) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('TOKEN_EXPIRED');
    expect(expired.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    h.clock.advance(7 * 86_400_000);
    const res = await refresh(tokens.refresh_token);
    expect([res.statusCode, res.json().code]).toEqual([401, 'INVALID_TOKEN']);
  });

  it('logs out one family; the access token of that session is refused at once', async () => {
    const user = await register(h.app);
    const a = await login(h.app, user.email);
    const b = await login(h.app, user.email);
    const out = await h.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: a.refresh_token } });
    expect(out.statusCode).toBe(204);
    expect((await refresh(a.refresh_token)).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/auth/me', headers: bearer(a.access_token) })).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/auth/me', headers: bearer(b.access_token) })).statusCode).toBe(200);
    // Logging out twice, or with an unknown token, is still 204 (no oracle).
    expect((await h.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: a.refresh_token } })).statusCode).toBe(204);
  });

  it('logs out everywhere with logout-all', async () => {
    const user = await register(h.app);
    const a = await login(h.app, user.email);
    const b = await login(h.app, user.email);
    expect((await h.app.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(a.access_token) })).statusCode).toBe(204);
    expect((await refresh(a.refresh_token)).statusCode).toBe(401);
    expect((await refresh(b.refresh_token)).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/auth/me', headers: bearer(b.access_token) })).statusCode).toBe(401);
  });

  it('lists live sessions with times and user agent, and revokes one by id', async () => {
    const user = await register(h.app);
    const a = await login(h.app, user.email, PASSWORD, { 'user-agent': 'Firefox/140' });
    const b = await login(h.app, user.email, PASSWORD, { 'user-agent': 'curl/8' });
    const list = await h.app.inject({ url: '/auth/sessions', headers: bearer(a.access_token) });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as Array<{ id: string; userAgent: string; current: boolean; createdAt: string; lastUsedAt: string }>;
    expect(items).toHaveLength(2);
    const current = items.find((s) => s.current);
    expect(current?.userAgent).toBe('Firefox/140');
    const other = items.find((s) => !s.current);
    expect(other?.userAgent).toBe('curl/8');
    expect((await h.app.inject({ method: 'DELETE', url: `/auth/sessions/${other?.id}`, headers: bearer(a.access_token) })).statusCode).toBe(204);
    expect((await refresh(b.refresh_token)).statusCode).toBe(401);
    const after = (await h.app.inject({ url: '/auth/sessions', headers: bearer(a.access_token) })).json().items;
    expect(after).toHaveLength(1);
    // Someone else's session is not found, not revoked.
    const stranger = await register(h.app);
    const s = await login(h.app, stranger.email);
    const res = await h.app.inject({ method: 'DELETE', url: `/auth/sessions/${current?.id}`, headers: bearer(s.access_token) });
    expect(res.statusCode).toBe(404);
    expect((await h.app.inject({ url: '/auth/me', headers: bearer(a.access_token) })).statusCode).toBe(200);
  });

  it('changes the password and revokes every other session', async () => {
    const user = await register(h.app);
    const a = await login(h.app, user.email);
    const b = await login(h.app, user.email);
    const wrong = await h.app.inject({ method: 'POST', url: '/auth/password', headers: bearer(a.access_token), payload: { currentPassword: 'not it at all', newPassword: 'a brand new secret' } });
    // Regression (outside review): a 401 with a Bearer challenge made clients believe they were signed out.
    expect([wrong.statusCode, wrong.json().code, wrong.headers['www-authenticate']]).toEqual([403, 'CURRENT_PASSWORD_INCORRECT', undefined]);
    const weak = await h.app.inject({ method: 'POST', url: '/auth/password', headers: bearer(a.access_token), payload: { currentPassword: PASSWORD, newPassword: 'password' } });
    expect([weak.statusCode, weak.json().code]).toEqual([400, 'WEAK_PASSWORD']);
    const ok = await h.app.inject({ method: 'POST', url: '/auth/password', headers: bearer(a.access_token), payload: { currentPassword: PASSWORD, newPassword: 'a brand new secret' } });
    expect(ok.statusCode).toBe(204);
    expect((await refresh(b.refresh_token)).statusCode).toBe(401);
    expect((await refresh(a.refresh_token)).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD } })).statusCode).toBe(401);
    await login(h.app, user.email, 'a brand new secret');
  });

  it('requires a bearer token on protected routes, with an RFC 6750 challenge', async () => {
    const res = await h.app.inject({ url: '/auth/me' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('keeps the refresh token in an HttpOnly cookie for browsers that ask for it', async () => {
    const user = await register(h.app);
    const headers = { 'x-refresh-token-transport': 'cookie' };
    const res = await h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: PASSWORD }, headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().refresh_token).toBeUndefined();
    const cookie = res.cookies.find((c) => c.name === 'realchat_rt');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/auth' });
    // Without the header the cookie is ignored (a cross-site form cannot set it: CSRF guard).
    const noHeader = await h.app.inject({ method: 'POST', url: '/auth/refresh', payload: {}, cookies: { realchat_rt: cookie!.value } });
    expect(noHeader.statusCode).toBe(400);
    const rotated = await h.app.inject({ method: 'POST', url: '/auth/refresh', payload: {}, cookies: { realchat_rt: cookie!.value }, headers });
    expect(rotated.statusCode).toBe(200);
    const next = rotated.cookies.find((c) => c.name === 'realchat_rt');
    expect(next?.value).not.toBe(cookie!.value);
    const out = await h.app.inject({ method: 'POST', url: '/auth/logout', payload: {}, cookies: { realchat_rt: next!.value }, headers });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === 'realchat_rt')?.value).toBe('');
  });

  // Regression: a refresh racing a revocation issued an access token the revocation's event did not cover.
  // PGlite has one connection: transactions cannot interleave there, so these races exist only on PostgreSQL.
  if (variant === 'distributed') {
    it.each(['first use', 'grace replay'] as const)(
      'issues no access token when the session is revoked while a refresh (%s) waits on it',
      async (kind) => {
        const user = await register(h.app);
        const first = await login(h.app, user.email);
        if (kind === 'grace replay') expect((await refresh(first.refresh_token)).statusCode).toBe(200);
        const sessionId = String(decodeJwt(first.access_token).payload['sid']);
        let held!: () => void;
        let release!: () => void;
        const heldPromise = new Promise<void>((r) => (held = r));
        const released = new Promise<void>((r) => (release = r));
        const revoking = h.db.transaction(async (tx) => {
          const result = await h.module.sessions.revokeIn(tx, { sessionId }, 'logout');
          held();
          await released;
          return result;
        });
        await heldPromise;
        // Sent from outside the transaction's callback, as another client would: the database refuses root calls inside it.
        const pending = refresh(first.refresh_token);
        // Real time: the refresh has to reach the session row this transaction holds.
        await new Promise((r) => setTimeout(r, 300));
        release();
        const revoked = await revoking;
        h.module.sessions.applyRevoked(revoked);
        const res = await pending;
        expect([res.statusCode, res.json().code]).toEqual([401, 'INVALID_TOKEN']);
      },
    );
  }

  // Last in this file: it moves the shared clock a day ahead.
  it('purges sessions a day after they ended and keeps live ones', async () => {
    const user = await register(h.app);
    const ended = await login(h.app, user.email);
    const live = await login(h.app, user.email);
    expect((await h.app.inject({ method: 'POST', url: '/auth/logout', payload: { refresh_token: ended.refresh_token } })).statusCode).toBe(204);
    const sidOf = (t: string) => String(decodeJwt(t).payload['sid']);
    const exists = async (sid: string) => (await h.db.query('select 1 from auth.sessions where id = $1', [sid])).rows.length === 1;
    await h.module.sessions.purgeEnded();
    expect(await exists(sidOf(ended.access_token))).toBe(true);
    h.clock.advance(86_400_000 + 16 * 60_000);
    expect(await h.module.sessions.purgeEnded()).toBeGreaterThanOrEqual(1);
    expect(await exists(sidOf(ended.access_token))).toBe(false);
    expect(await exists(sidOf(live.access_token))).toBe(true);
    expect((await refresh(live.refresh_token)).statusCode).toBe(200);
  });
});

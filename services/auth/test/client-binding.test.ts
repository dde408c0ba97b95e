import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, PASSWORD, register, startAuth, variants, type Harness } from './harness.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

/**
 * Regression (outside review, RFC 6749 sections 6 and 10.4): a refresh token obtained through one
 * client was redeemed by another, and the password and refresh grants accepted an unknown
 * client_id, or a confidential client's id without its secret.
 */
describe.each(variants)('refresh families bound to their client (%s)', (variant) => {
  let h: Harness;
  let a: { clientId: string; clientSecret: string };
  let b: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    h = await startAuth(variant);
    a = await h.module.clients.create('app-a', ['users:read']);
    b = await h.module.clients.create('app-b', ['users:read']);
  });
  afterAll(() => h.close());

  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/oauth/token', payload: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const passwordGrant = async (email: string, headers: Record<string, string>, extra: Record<string, string> = {}) => {
    const res = await token({ grant_type: 'password', username: email, password: PASSWORD, ...extra }, headers);
    expect(res.statusCode).toBe(200);
    return res.json().refresh_token as string;
  };

  it("refuses a refresh token presented by another client than its own, and leaves it usable by its own", async () => {
    const user = await register(h.app);
    const rt = await passwordGrant(user.email, basic(a.clientId, a.clientSecret));
    for (const [fields, headers] of [
      [{}, basic(b.clientId, b.clientSecret)],
      [{ client_id: b.clientId, client_secret: b.clientSecret }, {}],
      [{}, {}],
    ] as const) {
      const res = await token({ grant_type: 'refresh_token', refresh_token: rt, ...fields }, headers);
      expect([res.statusCode, res.json().error]).toEqual([400, 'invalid_grant']);
    }
    const firstParty = await h.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: rt } });
    expect(firstParty.statusCode).toBe(401);
    // Not spent, not revoked by those attempts: its own client still rotates it.
    const own = await token({ grant_type: 'refresh_token', refresh_token: rt, client_id: a.clientId, client_secret: a.clientSecret });
    expect(own.statusCode).toBe(200);
    const { rows } = await h.db.query<{ clientId: string | null }>('select client_id as "clientId" from auth.sessions where user_id = $1', [user.id]);
    expect(rows).toEqual([{ clientId: a.clientId }]);
  });

  it('keeps first-party sessions (POST /auth/login, no client named) to first-party refreshes', async () => {
    const user = await register(h.app);
    const tokens = await login(h.app, user.email);
    const byClient = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(a.clientId, a.clientSecret));
    expect([byClient.statusCode, byClient.json().error]).toEqual([400, 'invalid_grant']);
    const viaToken = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(viaToken.statusCode).toBe(200);
    const rt = await passwordGrant(user.email, {});
    expect((await h.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: rt } })).statusCode).toBe(200);
  });

  it('refuses an unknown client_id, or a confidential client without its correct secret, with 401 invalid_client', async () => {
    const user = await register(h.app);
    const rt = await passwordGrant(user.email, basic(a.clientId, a.clientSecret));
    const grants: Array<Record<string, string> & { grant_type: string }> = [
      { grant_type: 'password', username: user.email, password: PASSWORD },
      { grant_type: 'refresh_token', refresh_token: rt },
    ];
    for (const grant of grants) {
      for (const [fields, headers] of [
        [{ client_id: 'svc_unknown' }, {}],
        [{ client_id: 'svc_unknown', client_secret: a.clientSecret }, {}],
        [{ client_id: a.clientId }, {}],
        [{ client_id: a.clientId, client_secret: b.clientSecret }, {}],
        [{}, basic(a.clientId, b.clientSecret)],
        [{}, basic('svc_unknown', a.clientSecret)],
        [{ client_secret: a.clientSecret }, {}],
      ] as const) {
        const res = await token({ ...grant, ...fields }, headers);
        const expected = 'client_secret' in fields && !('client_id' in fields) ? [400, 'invalid_request'] : [401, 'invalid_client'];
        expect({ grant: grant.grant_type, fields, headers, got: [res.statusCode, res.json().error] }).toEqual({ grant: grant.grant_type, fields, headers, got: expected });
        if (res.statusCode === 401) expect(res.headers['www-authenticate']).toBe('Basic realm="realchat"');
      }
    }
    // None of those attempts opened a session or spent the token.
    expect((await token({ grant_type: 'refresh_token', refresh_token: rt }, basic(a.clientId, a.clientSecret))).statusCode).toBe(200);
  });
});

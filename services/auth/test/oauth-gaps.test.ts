import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationList, subscribeRevocations } from '@realchat/auth-verify';
import { bearer, decodeJwt, eventually, PASSWORD, register, startAuth, variants, type Harness } from './harness.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

/** Regressions from the outside review of the OAuth endpoints (RFC 6749, RFC 7009). */
describe.each(variants)('OAuth endpoint gaps (%s)', (variant) => {
  let h: Harness;
  let client: { clientId: string; clientSecret: string };
  beforeAll(async () => {
    h = await startAuth(variant);
    client = await h.module.clients.create('chat-service', ['users:read', 'users:list']);
  });
  afterAll(() => h.close());

  const post = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) => h.app.inject({ method: 'POST', url, payload: form(fields), headers: { ...FORM, ...headers } });
  const serviceToken = async (): Promise<string> => (await post('/oauth/token', { grant_type: 'client_credentials', scope: 'users:read' }, basic(client.clientId, client.clientSecret))).json().access_token;

  it('refuses bodies that are not application/x-www-form-urlencoded with invalid_request', async () => {
    const user = await register(h.app);
    for (const url of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
      const json = await h.app.inject({ method: 'POST', url, payload: { grant_type: 'password', username: user.email, password: PASSWORD, token: 'x' }, headers: basic(client.clientId, client.clientSecret) });
      expect({ url, got: [json.statusCode, json.json().error] }).toEqual({ url, got: [400, 'invalid_request'] });
      const none = await h.app.inject({ method: 'POST', url });
      expect({ url, got: [none.statusCode, none.json().error] }).toEqual({ url, got: [400, 'invalid_request'] });
    }
    const charset = await post('/oauth/token', { grant_type: 'password', username: user.email, password: PASSWORD }, { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' });
    expect(charset.statusCode).toBe(200);
  });

  it('reports the granted scope, refuses an empty one, and takes no scope on the user grants', async () => {
    const auth = basic(client.clientId, client.clientSecret);
    const deduped = await post('/oauth/token', { grant_type: 'client_credentials', scope: 'users:read  users:read' }, auth);
    expect([deduped.statusCode, deduped.json().scope]).toEqual([200, 'users:read']);
    expect(decodeJwt(deduped.json().access_token).payload['scope']).toBe('users:read');
    const all = await post('/oauth/token', { grant_type: 'client_credentials' }, auth);
    expect(all.json().scope).toBe('users:read users:list');
    for (const scope of ['', ' ']) {
      const empty = await post('/oauth/token', { grant_type: 'client_credentials', scope }, auth);
      expect([empty.statusCode, empty.json().error]).toEqual([400, 'invalid_scope']);
    }
    const user = await register(h.app);
    const withScope = await post('/oauth/token', { grant_type: 'password', username: user.email, password: PASSWORD, scope: 'users:read' });
    expect([withScope.statusCode, withScope.json().error]).toEqual([400, 'invalid_scope']);
    const emptyScope = await post('/oauth/token', { grant_type: 'password', username: user.email, password: PASSWORD, scope: '' });
    expect([emptyScope.statusCode, emptyScope.json().error]).toEqual([400, 'invalid_scope']);
  });

  it('revokes a service access token by its jti: inactive at introspection, refused by this and every other verifier', async () => {
    const other = createRevocationList({ clock: h.clock });
    const feed = await subscribeRevocations(h.bus, other);
    try {
      const user = await register(h.app);
      const revoked = await serviceToken();
      const kept = await serviceToken();
      const introspect = async (token: string) => (await post('/oauth/introspect', { token }, basic(client.clientId, client.clientSecret))).json().active as boolean;
      expect(await introspect(revoked)).toBe(true);
      expect((await h.app.inject({ url: `/internal/users/${user.id}`, headers: bearer(revoked) })).statusCode).toBe(200);

      expect((await post('/oauth/revoke', { token: revoked, token_type_hint: 'access_token' })).statusCode).toBe(200);
      expect(await introspect(revoked)).toBe(false);
      const refused = await h.app.inject({ url: `/internal/users/${user.id}`, headers: bearer(revoked) });
      expect(refused.statusCode).toBe(401);
      // Another verifier learns it from the bus.
      const jti = decodeJwt(revoked).payload['jti'] as string;
      await eventually(() => other.isTokenRevoked(jti));
      // Only that token: the client's other tokens keep working, and revoking again is still 200.
      expect(await introspect(kept)).toBe(true);
      expect((await post('/oauth/revoke', { token: revoked })).statusCode).toBe(200);
    } finally {
      await feed.unsubscribe();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '@realchat/contracts';
import { AuthEvents } from '../src/services/outbox.js';
import { bearer, eventually, register, startAuth, variants, type Harness } from './harness.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(variants)('client revocation reaches every verifier (%s)', (variant) => {
  let h: Harness;
  let userId: string;
  const seen: EventEnvelope[] = [];
  let unsubscribe: () => Promise<void>;
  beforeAll(async () => {
    h = await startAuth(variant);
    userId = (await register(h.app)).id;
    const sub = await h.bus.subscribe({ types: ['client.revoked'], handler: async (e) => void seen.push(e) });
    unsubscribe = () => sub.unsubscribe();
  });
  afterAll(async () => {
    await unsubscribe();
    await h.close();
  });

  const serviceToken = async (client: { clientId: string; clientSecret: string }): Promise<string> => {
    const res = await h.app.inject({ method: 'POST', url: '/oauth/token', payload: form({ grant_type: 'client_credentials' }), headers: { ...FORM, ...basic(client.clientId, client.clientSecret) } });
    expect(res.statusCode).toBe(200);
    return res.json().access_token as string;
  };
  const outboxRows = async (clientId: string) =>
    (await h.db.query<{ data: { clientId: string; accessTokenExpiresAt: string } }>(`select data from auth.outbox where type = 'client.revoked' and data->>'clientId' = $1`, [clientId])).rows;

  it("refuses the client's service tokens at once here and within a second on another instance", async () => {
    const other = await h.restart();
    try {
      const client = await h.module.clients.create('soon-revoked', ['users:read']);
      const token = await serviceToken(client);
      const read = (app: typeof h.app) => app.inject({ url: `/internal/users/${userId}`, headers: bearer(token) });
      // Both verifiers accept it (and cache it).
      expect((await read(h.app)).statusCode).toBe(200);
      expect((await read(other.app)).statusCode).toBe(200);

      expect(await h.module.clients.revoke(client.clientId)).toBe(true);
      const started = Date.now();
      const here = await read(h.app);
      expect([here.statusCode, here.json().code, here.json().reason]).toEqual([401, 'INVALID_TOKEN', 'REVOKED']);
      expect(here.headers['www-authenticate']).toMatch(/error="invalid_token"/);

      // The other instance learns it from the bus, with no per-request lookup.
      await eventually(async () => (await read(other.app)).statusCode === 401, 1000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await read(other.app)).json()).toMatchObject({ code: 'INVALID_TOKEN', reason: 'REVOKED' });

      // One event, until the latest exp a token of this client can carry.
      await eventually(() => seen.some((e) => (e.data as { clientId: string }).clientId === client.clientId));
      const event = seen.find((e) => (e.data as { clientId: string }).clientId === client.clientId);
      expect(event).toMatchObject({ type: 'client.revoked', version: 1, producer: 'auth' });
      const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).exp as number;
      expect(Date.parse((event?.data as { accessTokenExpiresAt: string }).accessTokenExpiresAt)).toBeGreaterThanOrEqual(exp * 1000);

      // Revoking again is a no-op that publishes nothing more.
      expect(await h.module.clients.revoke(client.clientId)).toBe(false);
      expect(await outboxRows(client.clientId)).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('applies revocations published before an instance started (catch-up)', async () => {
    const client = await h.module.clients.create('revoked-before-start', ['users:read']);
    const token = await serviceToken(client);
    expect(await h.module.clients.revoke(client.clientId)).toBe(true);
    await eventually(() => seen.some((e) => (e.data as { clientId: string }).clientId === client.clientId));
    const later = await h.restart();
    try {
      await eventually(async () => (await later.app.inject({ url: `/internal/users/${userId}`, headers: bearer(token) })).statusCode === 401, 2000);
    } finally {
      await later.close();
    }
  });

  it('records the event in the same transaction: a revocation that fails publishes nothing and revokes nothing', async () => {
    const client = await h.module.clients.create('failing-revocation', ['users:read']);
    const token = await serviceToken(client);
    const record = vi.spyOn(AuthEvents.prototype, 'record').mockRejectedValueOnce(new Error('outbox down'));
    try {
      await expect(h.module.clients.revoke(client.clientId)).rejects.toThrow('outbox down');
    } finally {
      record.mockRestore();
    }
    expect(await h.module.clients.isLive(client.clientId)).toBe(true);
    expect(await outboxRows(client.clientId)).toHaveLength(0);
    expect((await h.app.inject({ url: `/internal/users/${userId}`, headers: bearer(token) })).statusCode).toBe(200);
    // And it can still be revoked afterwards.
    expect(await h.module.clients.revoke(client.clientId)).toBe(true);
    expect(await outboxRows(client.clientId)).toHaveLength(1);
  });
});

import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, gatewayConfig } from '@realchat/gateway';
import type { App } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { bearer, register, startAuth, type Harness } from './harness.js';

/** A request target exactly as written (fetch and inject normalise it). */
function raw(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Regression: `GET http://x/internal/users/<id>` with a service token reached auth's internal
 * route hosted in the gateway's process; every spelling of it now gets the canonical 404.
 */
describe('the embedded gateway hides /internal in every spelling', () => {
  let h: Harness;
  let gateway: App;
  let port: number;
  beforeAll(async () => {
    h = await startAuth('embedded');
    gateway = await buildGateway({ config: gatewayConfig(), logger: silentLogger, clock: h.clock, verifier: h.module.verifier, store: h.store, host: h.host });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    port = (gateway.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await gateway?.close();
    await h.close();
  });

  it('answers 404 to a service token with users:read, however the path is spelt', async () => {
    const user = await register(h.app);
    const client = await h.module.clients.create('reader', ['users:read']);
    const issued = await h.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const headers = bearer(issued.json<{ access_token: string }>().access_token);
    // The token does reach the route where it is not hidden.
    expect((await h.app.inject({ url: `/internal/users/${user.id}`, headers })).statusCode).toBe(200);
    const id = user.id;
    const spellings = [
      `/internal/users/${id}`,
      `http://x/internal/users/${id}`,
      `HTTP://X/internal/users/${id}`,
      `/%69nternal/users/${id}`,
      `/intern%61l/users/${id}`,
      `/internal%2Fusers/${id}`,
      `//internal/users/${id}`,
      `/internal//users/${id}`,
      `/auth/../internal/users/${id}`,
      `/./internal/users/${id}`,
      `/INTERNAL/users/${id}`,
      `/internal;x/users/${id}`,
      `/internal/users;x/${id}`,
      `/\\internal/users/${id}`,
    ];
    for (const path of spellings) expect([path, await raw(port, path, headers)]).toEqual([path, 404]);
    // A protected hosted route asks for a token in every spelling.
    for (const path of ['/auth/me', 'http://x/auth/me', '/auth//me', '/%61uth/me', '/auth;x/me', '/oauth/../auth/me']) expect([path, await raw(port, path, {})]).toEqual([path, 401]);
  });
});

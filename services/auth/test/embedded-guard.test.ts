import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, gatewayConfig } from '@realchat/gateway';
import { createHttpApp, type App } from '@realchat/http';
import type { ServiceHost } from '@realchat/runtime';
import { silentLogger } from '@realchat/logging';
import { bearer, login, register, startAuth, variants, type Harness } from './harness.js';

/**
 * Regression: auth skipped its own guard whenever a `principal` request decorator was visible, so
 * a host that declared one (and filled it from the bearer token without knowing the routes' roles
 * and scopes) silently removed the ADMIN and scope checks.
 */
describe.each(variants)('auth keeps its own role and scope checks inside a host (%s)', (variant) => {
  let h: Harness;
  let gateway: App;
  let plain: App;
  beforeAll(async () => {
    h = await startAuth(variant);
    // As apps/cli/src/system.ts composes the embedded system: the gateway hosting the auth module.
    gateway = await buildGateway({ config: gatewayConfig(), logger: silentLogger, clock: h.clock, verifier: h.module.verifier, store: h.store, host: hosted() });
    await gateway.ready();
    plain = createHttpApp({ logger: silentLogger });
    await hosted().register(plain);
    await plain.ready();
  });
  afterAll(async () => {
    await gateway?.close();
    await plain?.close();
    await h.close();
  });

  // The harness's host, already started, mounted by an app that fills `principal` itself first.
  const hosted = (): ServiceHost => ({
    ...h.host,
    async register(app) {
      app.decorateRequest('principal', null);
      app.addHook('onRequest', async (request) => {
        const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
        if (token !== undefined) request.principal = await h.module.verifier.verify(token);
      });
      await h.host.register(app);
    },
  });

  it('refuses a student changing roles through the gateway (ADMIN only)', async () => {
    const student = await register(gateway);
    const tokens = await login(gateway, student.email);
    const res = await gateway.inject({ method: 'PATCH', url: `/auth/users/${student.id}/roles`, payload: { roles: ['STUDENT', 'ADMIN'] }, headers: bearer(tokens.access_token) });
    expect([res.statusCode, res.json().code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    expect((await h.module.users.get(student.id)).roles).toEqual(['STUDENT']);
  });

  it('hides /internal at the gateway and requires the users:read scope in any host', async () => {
    const user = await register(plain);
    const tokens = await login(plain, user.email);
    expect((await gateway.inject({ url: `/internal/users/${user.id}`, headers: bearer(tokens.access_token) })).statusCode).toBe(404);
    const asUser = await plain.inject({ url: `/internal/users/${user.id}`, headers: bearer(tokens.access_token) });
    expect([asUser.statusCode, asUser.json().code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    const client = await h.module.clients.create('reader', ['users:read']);
    const issued = await plain.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const asService = await plain.inject({ url: `/internal/users/${user.id}`, headers: bearer(issued.json().access_token) });
    expect(asService.statusCode).toBe(200);
  });
});

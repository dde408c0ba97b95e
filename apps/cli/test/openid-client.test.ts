import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@realchat/config';
import { silentLogger } from '@realchat/logging';
import type { AuthModule } from '@realchat/auth';
import type { GatewayEnv } from '@realchat/gateway';
import { createRuntime, type Runtime, type RuntimeEnv } from '@realchat/runtime';
import { cliEnvSchema } from '../src/commands.js';
import { SERVICES } from '../src/services.js';
import { buildEmbeddedSystem, type EmbeddedSystem } from '../src/system.js';
import { freePort } from './processes.js';

/**
 * Regression (outside review): with PORT set and AUTH_ISSUER left to its default, every URL of the
 * discovery document pointed at localhost:8080, and it advertised flows that do not exist. Here a
 * standard client (panva's openid-client) discovers the embedded system (as `npm start` runs it,
 * on a PORT of its own, no AUTH_ISSUER) by RFC 8414 and uses every endpoint it found.
 */
describe('openid-client against the embedded system on its own port', { timeout: 60_000 }, () => {
  let dataDir: string;
  let runtime: Runtime;
  let system: EmbeddedSystem;
  let url: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'realchat-oidc-'));
    const port = await freePort();
    const env = loadConfig(cliEnvSchema(SERVICES), {
      PORT: String(port),
      DATA_DIR: dataDir,
      AUTH_BCRYPT_COST: '4',
      AUTH_KEY_PUBLISH_LEAD: '0s',
      AUTH_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    }) as RuntimeEnv & GatewayEnv & Record<string, unknown>;
    runtime = await createRuntime(env, { name: 'test', logger: silentLogger });
    system = await buildEmbeddedSystem(env, runtime, { services: SERVICES });
    url = await system.app.listen({ port: env.PORT, host: env.HOST });
    await system.host.start();
  }, 120_000);

  afterAll(async () => {
    await system?.app.close();
    await system?.host.stop();
    await runtime?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('discovers the server, then gets, refreshes, introspects and revokes tokens', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { clientId, clientSecret } = await (system.host.services[0]!.instance as AuthModule).clients.create('oidc-test', ['users:read']);
    const config = await client.discovery(new URL(url), clientId, undefined, client.ClientSecretBasic(clientSecret), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
    const metadata = config.serverMetadata();
    expect(metadata).toMatchObject({ issuer: url, token_endpoint: `${url}/oauth/token`, jwks_uri: `${url}/.well-known/jwks.json` });
    expect(metadata).not.toHaveProperty('authorization_endpoint');
    expect(metadata).not.toHaveProperty('id_token_signing_alg_values_supported');

    const service = await client.clientCredentialsGrant(config, { scope: 'users:read' });
    expect(service).toMatchObject({ token_type: 'bearer', scope: 'users:read' });

    // A refresh token of this client: the password grant, authenticated as the client.
    const email = `u${randomBytes(5).toString('hex')}@example.com`;
    const register = await fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse battery', displayName: 'Ada' }) });
    expect(register.status).toBe(201);
    const first = await client.genericGrantRequest(config, 'password', { username: email, password: 'correct horse battery' });
    expect(first.refresh_token).toEqual(expect.any(String));
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    const me = await fetch(`${url}/auth/me`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
    expect(me.status).toBe(200);

    expect(await client.tokenIntrospection(config, refreshed.access_token)).toMatchObject({ active: true, iss: url });
    expect(await client.tokenIntrospection(config, service.access_token)).toMatchObject({ active: true, client_id: clientId, scope: 'users:read' });
    await client.tokenRevocation(config, service.access_token);
    await client.tokenRevocation(config, refreshed.refresh_token!);
    expect(await client.tokenIntrospection(config, service.access_token)).toEqual({ active: false });
    expect(await client.tokenIntrospection(config, refreshed.access_token)).toEqual({ active: false });
  });
});

// Child-process entry: one server under test of the gateway benchmark (bench/src/gateway.ts),
// alone in its process. Sends its port to the parent; exits when the parent disconnects.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { createAuthentication, createVerifier, type JsonWebKey } from '@realchat/auth-verify';
import { createInProcessBus } from '@realchat/bus';
import { systemClock } from '@realchat/clock';
import { loadConfig } from '@realchat/config';
import { buildGateway, gatewayConfig, GATEWAY_RULES } from '@realchat/gateway';
import { silentLogger } from '@realchat/logging';
import { createServiceHost, defineService, RuntimeEnvSchema } from '@realchat/runtime';
import { createMemoryStore } from '@realchat/store';
import { startBareNodeProxy } from './bare-proxy.js';
import { UPSTREAM_BODY } from './upstream.js';

export type GatewayBenchServer =
  | { readonly kind: 'gateway'; readonly upstreamUrl: string; readonly jwk: JsonWebKey; readonly issuer: string; readonly audience: string; readonly cache: boolean }
  | { readonly kind: 'bare-fastify' }
  | { readonly kind: 'bare-proxy'; readonly upstreamUrl: string };

/** A service with one public route, hosted by the gateway as the services are in embedded mode. */
const helloService = defineService({
  name: 'bench',
  prefixes: ['/bench'],
  env: Type.Object({}),
  async create() {
    return {
      async register(app) {
        app.get('/bench/hello', { config: { auth: 'none' } }, async (_request, reply) => reply.type('application/json').send(UPSTREAM_BODY));
      },
    };
  },
});

async function startGateway(setup: Extract<GatewayBenchServer, { kind: 'gateway' }>): Promise<number> {
  const authentication = createAuthentication({ issuer: setup.issuer, audience: setup.audience, keys: { local: () => ({ keys: [setup.jwk] }) }, accessTokenTtlMs: 900_000 });
  const verifier = setup.cache ? authentication.verifier : createVerifierWithoutCache(setup);
  const store = createMemoryStore();
  const host = await createServiceHost({
    definitions: [helloService],
    engines: { bus: createInProcessBus(), store, clock: systemClock, logger: silentLogger, embeddedDataDir: undefined },
    env: loadConfig(RuntimeEnvSchema, {}),
    authentication,
  });
  const config = gatewayConfig({
    upstreams: { chat: [setup.upstreamUrl] },
    access: [{ path: '/chat/open', auth: 'none' }, ...GATEWAY_RULES],
    rateLimit: { ip: false, user: false },
    healthCheck: { path: '/healthz', intervalMs: 600_000, timeoutMs: 1000, unhealthyThreshold: 1, healthyThreshold: 1 },
  });
  const app = await buildGateway({ config, logger: silentLogger, verifier, store, host });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

function createVerifierWithoutCache(setup: Extract<GatewayBenchServer, { kind: 'gateway' }>) {
  return createVerifier({ issuer: setup.issuer, audience: setup.audience, keys: { keys: [setup.jwk] }, cache: false });
}

async function startBareFastify(): Promise<number> {
  const app = Fastify();
  app.get('/bench/hello', async (_request, reply) => reply.type('application/json').send(UPSTREAM_BODY));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

const setup = JSON.parse(process.argv[2]!) as GatewayBenchServer;
const port =
  setup.kind === 'gateway' ? await startGateway(setup) : setup.kind === 'bare-fastify' ? await startBareFastify() : await startBareNodeProxy(setup.upstreamUrl);
process.send!({ port });
process.on('disconnect', () => process.exit(0));

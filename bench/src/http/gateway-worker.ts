// Child-process entry: one server under test of the gateway benchmark (bench/src/gateway.ts),
// alone in its process. Sends its port to the parent; exits when the parent disconnects.
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createVerifier, type JsonWebKey } from '@realchat/auth-verify';
import { buildGateway, gatewayConfig, PUBLIC_RULES } from '@realchat/gateway';
import type { App, ServiceModule } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { createMemoryStore } from '@realchat/store';
import { startBareNodeProxy } from './bare-proxy.js';
import { UPSTREAM_BODY } from './upstream.js';

export type GatewayBenchServer =
  | { readonly kind: 'gateway'; readonly upstreamUrl: string; readonly jwk: JsonWebKey; readonly issuer: string; readonly audience: string; readonly cache: boolean }
  | { readonly kind: 'bare-fastify' }
  | { readonly kind: 'bare-proxy'; readonly upstreamUrl: string };

/** A module with one route, hosted by the gateway as the services are in embedded mode. */
const helloModule: ServiceModule = {
  name: 'bench',
  prefixes: ['/bench'],
  async register(app: App) {
    app.get('/bench/hello', async (_request, reply) => reply.type('application/json').send(UPSTREAM_BODY));
  },
  start: async () => undefined,
  stop: async () => undefined,
};

async function startGateway(setup: Extract<GatewayBenchServer, { kind: 'gateway' }>): Promise<number> {
  const verifier = createVerifier({ issuer: setup.issuer, audience: setup.audience, keys: { keys: [setup.jwk] }, ...(setup.cache ? {} : { cache: false }) });
  const config = gatewayConfig({
    upstreams: { chat: [setup.upstreamUrl] },
    access: [{ path: '/chat/open', auth: 'none' }, { path: '/bench/hello', auth: 'none' }, ...PUBLIC_RULES],
    rateLimit: { ip: false, user: false },
    healthCheck: { path: '/healthz', intervalMs: 600_000, timeoutMs: 1000, unhealthyThreshold: 1, healthyThreshold: 1 },
  });
  const app = await buildGateway({ config, logger: silentLogger, verifier, store: createMemoryStore(), modules: [helloModule] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
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

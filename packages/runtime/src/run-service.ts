import type { Duplex } from 'node:stream';
import { loadConfigOrExit } from '@realchat/config';
import { createAnnouncer, type Announcer } from '@realchat/discovery';
import { AppError, toProblem } from '@realchat/errors';
import { createHttpApp, type App } from '@realchat/http';
import { remoteAuthentication, remoteIdentity, serviceEnvSchema, type AuthenticationEnv, type IdentityEnv } from './authentication-env.js';
import { trustProxyOf, type RuntimeEnv } from './env.js';
import { createServiceHost, type ServiceHost } from './host.js';
import { createRuntime, type Runtime } from './runtime.js';
import type { AnyServiceDefinition } from './service.js';
import { createSocketEndpoints, type SocketEndpoints } from './sockets.js';

export interface RunningServer {
  /** `http://host:port` actually bound (port 0 resolved). */
  readonly url: string;
  readonly app: App;
  /** Graceful stop: no new requests, sockets closed, services stopped, engines closed. */
  close(): Promise<void>;
}

/** Answers an upgrade the process does not serve, or refuses, with a problem document. */
function refuseUpgrade(socket: Duplex, error: AppError, path: string): void {
  const body = JSON.stringify(toProblem(error, { instance: path }));
  socket.end(`HTTP/1.1 ${error.status} ${error.title}\r\nconnection: close\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** The path of an upgrade request, or undefined when it has none usable. */
function upgradePath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Listens on the runtime's address, starts what `host` runs and announces the services (with
 * REDIS_URL and ANNOUNCE_URL); SIGINT/SIGTERM stop everything in order. `sockets` serves the
 * upgrades the host's services accept; `stopFirst` runs before the app closes.
 */
export async function serve(options: {
  readonly app: App;
  readonly host: ServiceHost;
  readonly runtime: Runtime;
  readonly env: RuntimeEnv;
  readonly sockets?: SocketEndpoints;
  readonly handleSignals?: boolean;
}): Promise<RunningServer> {
  const { app, host, runtime, env, sockets } = options;
  const address = await app.listen({ port: env.PORT, host: env.HOST });
  const announcers: Announcer[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const announcer of announcers) await announcer.stop().catch(() => undefined);
      await sockets?.closeAll();
      await app.close();
      await host.stop();
      await runtime.close();
    })());
  try {
    await host.start();
    if (env.REDIS_URL !== undefined && env.ANNOUNCE_URL !== undefined) {
      for (const { definition } of host.services) {
        const announcer = createAnnouncer({ store: runtime.store, clock: runtime.clock, service: definition.name, url: env.ANNOUNCE_URL, onError: (err) => runtime.logger.warn({ err }, 'announce failed') });
        announcers.push(announcer);
        await announcer.start();
      }
    }
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  runtime.logger.info({ url: address, services: host.services.map((s) => s.definition.name) }, 'listening');

  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals): void => {
      runtime.logger.info({ signal }, 'shutting down');
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          runtime.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { url: address, app, close };
}

export interface RunServiceOptions {
  /** Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default true; tests running several in one process turn it off. */
  readonly handleSignals?: boolean;
}

/**
 * Distributed mode: one service as its own process. Reads and validates the environment, opens
 * the engines it names, authenticates callers with the issuer's public keys (unless it is the
 * issuer), migrates, serves the routes and WebSocket endpoints, publishes its manifest in its
 * OpenAPI document, and announces itself to the gateway.
 */
export async function runService(definition: AnyServiceDefinition, options: RunServiceOptions = {}): Promise<RunningServer> {
  const env = loadConfigOrExit(serviceEnvSchema([definition]), options.env ?? process.env) as RuntimeEnv & Record<string, unknown>;
  const trustProxy = trustProxyOf(env.TRUST_PROXY);
  const runtime = await createRuntime(env, { name: definition.name });
  let served = false;
  try {
    const authentication = definition.issuesTokens === true ? undefined : remoteAuthentication(env as unknown as AuthenticationEnv, runtime);
    const identity = definition.issuesTokens === true ? undefined : remoteIdentity(env as unknown as AuthenticationEnv & IdentityEnv, runtime);
    const host = await createServiceHost({ definitions: [definition], engines: runtime, env, ...(authentication === undefined ? {} : { authentication }), ...(identity === undefined ? {} : { identity }) });
    const app = createHttpApp({ logger: runtime.logger, clock: runtime.clock, bodyLimit: env.BODY_LIMIT, trustProxy, defaultMetrics: true });
    await host.register(app);
    if (authentication !== undefined) {
      app.probes.add('keys', async () => {
        const status = authentication.verifier.status();
        if (!status.ready) throw Object.assign(new Error(status.lastError ?? 'no verification key'), { code: 'KEYS_UNAVAILABLE' });
        return { keys: status.keys, stale: status.stale };
      });
    }
    const sockets = createSocketEndpoints(host.websockets);
    app.server.on('upgrade', (req, socket, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const path = upgradePath(req.url);
      const endpoint = path === undefined ? undefined : sockets.match(path);
      if (endpoint === undefined || req.method !== 'GET') refuseUpgrade(socket, new AppError('ROUTE_NOT_FOUND', `no WebSocket endpoint at ${path ?? '?'}`), path ?? '/');
      else sockets.accept(endpoint, req, socket, head);
    });
    await app.ready();
    served = true;
    return await serve({ app, host, runtime, env, sockets, ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }) });
  } catch (err) {
    runtime.logger.fatal({ err }, `${definition.name} failed to start`);
    // serve() closes what it was handed when it fails.
    if (!served) await runtime.close();
    throw err;
  }
}

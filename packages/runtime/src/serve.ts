import { createAnnouncer, type Announcer } from '@realchat/discovery';
import type { App, ServiceModule } from '@realchat/http';
import type { RuntimeEnv } from './env.js';
import type { Runtime } from './runtime.js';

export interface RunningServer {
  /** `http://host:port` actually bound (port 0 resolved). */
  readonly url: string;
  /** Graceful stop: no new requests, modules stopped, connections and engines closed. */
  close(): Promise<void>;
}

/**
 * Registers the modules on `app`, listens, starts their background work and, with REDIS_URL and
 * ANNOUNCE_URL, announces each module to the gateway. SIGINT/SIGTERM stop everything in order.
 */
export async function serve(options: { app: App; modules: readonly ServiceModule[]; runtime: Runtime; env: RuntimeEnv; handleSignals?: boolean }): Promise<RunningServer> {
  const { app, modules, runtime, env } = options;
  for (const module of modules) await module.register(app);
  const address = await app.listen({ port: env.PORT, host: env.HOST });
  for (const module of modules) await module.start();
  const announcers: Announcer[] = [];
  if (env.REDIS_URL !== undefined && env.ANNOUNCE_URL !== undefined) {
    for (const module of modules) {
      const announcer = createAnnouncer({ store: runtime.store, service: module.name, url: env.ANNOUNCE_URL, onError: (err) => runtime.logger.warn({ err }, 'announce failed') });
      await announcer.start();
      announcers.push(announcer);
    }
  }
  runtime.logger.info({ url: address, modules: modules.map((m) => m.name) }, 'listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const announcer of announcers) await announcer.stop().catch(() => undefined);
      await app.close();
      for (const module of [...modules].reverse()) await module.stop().catch((err: unknown) => runtime.logger.warn({ err, module: module.name }, 'stop failed'));
      await runtime.close();
    })());

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
  return { url: address, close };
}

import { createRegistryWatcher, type RegistryWatcher } from '@realchat/discovery';
import type { App } from '@realchat/http';
import type { GatewayContext } from './context.js';
import type { OpenApiMerger } from './docs/openapi-merge.js';
import { HealthChecker } from './upstreams/health-checker.js';
import { ServiceDocuments } from './upstreams/service-documents.js';

/** The gateway's work between requests, and the handles tests and the CLI use to run it now. */
export interface Background {
  checkUpstreams(): Promise<void>;
  refreshRegistry(): Promise<void>;
  refreshDocs(): Promise<void>;
}

/**
 * Active health checks, the service registry (with discovery), and the upstreams' documents
 * (manifests and API reference): started when the app is ready, stopped when it closes.
 */
export function installBackground(app: App, ctx: GatewayContext, merger: OpenApiMerger): Background {
  const { config, directory, logger, store, clock } = ctx;
  const checker = new HealthChecker(() => directory.pools.values(), config.healthCheck, logger, clock);
  const documents = new ServiceDocuments({ directory, merger, refreshMs: config.docs.refreshMs, retryMs: config.docs.retryMs, timeoutMs: config.docs.timeoutMs, logger, clock });
  const watcher: RegistryWatcher | undefined =
    config.discovery === false
      ? undefined
      : createRegistryWatcher({
          store,
          intervalMs: config.discovery.intervalMs,
          clock,
          onChange: (snapshot) => {
            directory.setDiscovered(snapshot);
            logger.info({ services: Object.fromEntries([...snapshot].map(([s, list]) => [s, list.length])) }, 'service registry changed');
            // A service seen for the first time: learn its routes now rather than at the next retry.
            void documents.refresh(true);
          },
          onError: (err) => logger.warn({ err }, 'service registry scan failed; keeping the known instances'),
        });

  app.addHook('onReady', async () => {
    await watcher?.start();
    checker.start();
    documents.start();
  });
  app.addHook('onClose', async () => {
    documents.stop();
    watcher?.stop();
    await checker.stop();
    directory.close();
  });
  return {
    // Each also learns the routes of services that became reachable.
    checkUpstreams: async () => {
      await checker.checkNow();
      await documents.refresh(true);
    },
    refreshRegistry: async () => {
      await watcher?.refresh();
      await documents.refresh(true);
    },
    refreshDocs: () => documents.refresh(),
  };
}

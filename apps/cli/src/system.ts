import { buildGateway, toGatewayConfig, type GatewayConfig, type GatewayEnv } from '@realchat/gateway';
import type { App } from '@realchat/http';
import { createServiceHost, type AnyServiceDefinition, type Runtime, type RuntimeEnv, type ServiceHost } from '@realchat/runtime';

/** The whole system in one process: the gateway, with every service hosted behind its routes. */
export interface EmbeddedSystem {
  readonly app: App;
  readonly host: ServiceHost;
}

export interface EmbeddedSystemOptions {
  /** Default: every service of RealChat. */
  readonly services: readonly AnyServiceDefinition[];
  /** Lets tests adjust the gateway configuration read from the environment. */
  readonly configure?: (config: GatewayConfig) => GatewayConfig;
  /** Relay poll interval (tests shorten it). */
  readonly relayPollIntervalMs?: number;
}

/**
 * Builds the embedded system on `runtime` (it does not listen, and starts nothing: `serve` does).
 * The gateway verifies with the token issuer's own key set and revocation list, so no HTTP round
 * trip happens inside the process.
 */
export async function buildEmbeddedSystem(env: RuntimeEnv & GatewayEnv & Readonly<Record<string, unknown>>, runtime: Runtime, options: EmbeddedSystemOptions): Promise<EmbeddedSystem> {
  const host = await createServiceHost({
    definitions: options.services,
    engines: runtime,
    env,
    ...(options.relayPollIntervalMs === undefined ? {} : { relayPollIntervalMs: options.relayPollIntervalMs }),
  });
  try {
    // Every service runs here: nothing to discover.
    const config = (options.configure ?? ((c) => c))(toGatewayConfig(env, { discovery: false }));
    const app = await buildGateway({ config, logger: runtime.logger, clock: runtime.clock, verifier: host.authentication.verifier, store: runtime.store, host });
    return { app, host };
  } catch (err) {
    await host.stop();
    throw err;
  }
}

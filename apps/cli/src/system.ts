import type { AuthModule } from '@realchat/auth';
import { buildGateway, toGatewayConfig, type GatewayConfig } from '@realchat/gateway';
import type { App } from '@realchat/http';
import type { Runtime } from '@realchat/runtime';
import { openAuth, type CliEnv } from './commands.js';

/** The whole system in one process: the gateway, with every service mounted behind its routes. */
export interface EmbeddedSystem {
  readonly app: App;
  readonly auth: AuthModule;
}

/**
 * Builds the embedded system on `runtime` (it does not listen). The gateway verifies with the auth
 * module's own key set and revocation list, so no HTTP round trip happens inside the process;
 * `configure` lets tests adjust the gateway configuration read from the environment.
 */
export async function buildEmbeddedSystem(env: CliEnv, runtime: Runtime, configure: (config: GatewayConfig) => GatewayConfig = (c) => c): Promise<EmbeddedSystem> {
  const auth = await openAuth(env, runtime);
  // Every service runs here: nothing to discover.
  const config = configure(toGatewayConfig(env, { discovery: false }));
  const app = await buildGateway({ config, logger: runtime.logger, clock: runtime.clock, verifier: auth.verifier, store: runtime.store, modules: [auth] });
  return { app, auth };
}

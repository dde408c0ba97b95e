import { ConfigError } from '@realchat/config';
import type { GatewayEnv } from '@realchat/gateway';
import { createRuntime, serve, type AnyServiceDefinition, type RuntimeEnv } from '@realchat/runtime';
import { buildEmbeddedSystem } from './system.js';

/** Embedded mode: the gateway and every service in this process, on one port, on the engines the environment names. */
export async function startSystem(env: RuntimeEnv & GatewayEnv & Readonly<Record<string, unknown>>, services: readonly AnyServiceDefinition[]): Promise<void> {
  const runtime = await createRuntime(env, { name: 'realchat' });
  try {
    const { app, host } = await buildEmbeddedSystem(env, runtime, { services });
    const server = await serve({ app, host, runtime, env });
    process.stdout.write(`RealChat is running at ${server.url} (API reference: ${server.url}/docs; Ctrl+C stops it)\n`);
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`realchat: ${err.message}\n`);
    else runtime.logger.fatal({ err }, 'RealChat failed to start');
    await runtime.close();
    process.exit(1);
  }
}

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigError } from '@realchat/config';
import type { GatewayEnv } from '@realchat/gateway';
import { createRuntime, serve, type AnyServiceDefinition, type RuntimeEnv } from '@realchat/runtime';
import { buildEmbeddedSystem } from './system.js';

/** The web app's build (`npm install` makes it): what `npm start` serves at `/` unless GATEWAY_WEB_ROOT names another. */
export function defaultWebRoot(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@realchat/web/package.json')), 'dist');
}

/** Embedded mode: the gateway and every service in this process, on one port, on the engines the environment names. */
export async function startSystem(env: RuntimeEnv & GatewayEnv & Readonly<Record<string, unknown>>, services: readonly AnyServiceDefinition[]): Promise<void> {
  const runtime = await createRuntime(env, { name: 'realchat' });
  try {
    const webRoot = env.GATEWAY_WEB_ROOT.trim() === '' ? defaultWebRoot() : env.GATEWAY_WEB_ROOT;
    const { app, host } = await buildEmbeddedSystem({ ...env, GATEWAY_WEB_ROOT: webRoot }, runtime, { services });
    const server = await serve({ app, host, runtime, env });
    process.stdout.write(`RealChat is running at ${server.url} (the app: ${server.url}/, API reference: ${server.url}/docs; Ctrl+C stops it)\n`);
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`realchat: ${err.message}\n`);
    else runtime.logger.fatal({ err }, 'RealChat failed to start');
    await runtime.close();
    process.exit(1);
  }
}

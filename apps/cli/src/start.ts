import { ConfigError } from '@realchat/config';
import { createRuntime, serve } from '@realchat/runtime';
import type { CliEnv } from './commands.js';
import { buildEmbeddedSystem } from './system.js';

/** Embedded mode: the gateway and every service in this process, on one port, on the engines the environment names. */
export async function startSystem(env: CliEnv): Promise<void> {
  const runtime = await createRuntime(env, { name: 'realchat' });
  try {
    const { app } = await buildEmbeddedSystem(env, runtime);
    // The gateway registers, starts and stops its hosted modules itself.
    const server = await serve({ app, modules: [], runtime, env });
    process.stdout.write(`RealChat is running at ${server.url} (API reference: ${server.url}/docs; Ctrl+C stops it)\n`);
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`realchat: ${err.message}\n`);
    else runtime.logger.fatal({ err }, 'RealChat failed to start');
    await runtime.close();
    process.exit(1);
  }
}

import { createAuthModule, loadKeyEncryptionKey, toAuthSettings } from '@realchat/auth';
import { createHttpApp } from '@realchat/http';
import { createRuntime, serve } from '@realchat/runtime';
import { trustProxyOf } from '@realchat/runtime';
import type { CliEnv } from './commands.js';

/** Embedded mode: every service in this process, on one port, on the engines the environment names. */
export async function startSystem(env: CliEnv): Promise<void> {
  const runtime = await createRuntime(env, { name: 'realchat' });
  try {
    const keyEncryptionKey = await loadKeyEncryptionKey({
      value: env.AUTH_KEY_ENCRYPTION_KEY,
      file: env.AUTH_KEY_ENCRYPTION_KEY_FILE,
      embeddedDataDir: runtime.embeddedDataDir,
      logger: runtime.logger,
    });
    const auth = await createAuthModule({ ...runtime, settings: toAuthSettings(env), keyEncryptionKey });
    const app = createHttpApp({ logger: runtime.logger, bodyLimit: env.BODY_LIMIT, trustProxy: trustProxyOf(env.TRUST_PROXY), defaultMetrics: true });
    const server = await serve({ app, modules: [auth], runtime, env });
    process.stdout.write(`RealChat is running at ${server.url} (Ctrl+C stops it)\n`);
  } catch (err) {
    runtime.logger.fatal({ err }, 'RealChat failed to start');
    await runtime.close();
    process.exit(1);
  }
}

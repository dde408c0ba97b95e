import { Type } from 'typebox';
import { ConfigError, loadConfigOrExit } from '@realchat/config';
import { createHttpApp } from '@realchat/http';
import { createRuntime, RuntimeEnvSchema, serve, trustProxyOf } from '@realchat/runtime';
import { AuthEnvSchema, toAuthSettings, type AuthSettings } from './config.js';
import { loadKeyEncryptionKey } from './crypto/kek.js';
import { createAuthModule } from './module.js';

/** The auth service as its own process (distributed mode). */
const env = loadConfigOrExit(Type.Object({ ...RuntimeEnvSchema.properties, ...AuthEnvSchema.properties }), process.env);
let settings: AuthSettings;
let trustProxy: boolean | string[];
try {
  settings = toAuthSettings(env);
  trustProxy = trustProxyOf(env.TRUST_PROXY);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`realchat: ${err.message}\n`);
  process.exit(1);
}
const runtime = await createRuntime(env, { name: 'auth' });
try {
  const keyEncryptionKey = await loadKeyEncryptionKey({
    value: env.AUTH_KEY_ENCRYPTION_KEY,
    file: env.AUTH_KEY_ENCRYPTION_KEY_FILE,
    embeddedDataDir: runtime.embeddedDataDir,
    logger: runtime.logger,
  });
  const module = await createAuthModule({ ...runtime, settings, keyEncryptionKey });
  const app = createHttpApp({ logger: runtime.logger, clock: runtime.clock, bodyLimit: env.BODY_LIMIT, trustProxy, defaultMetrics: true });
  await serve({ app, modules: [module], runtime, env });
} catch (err) {
  runtime.logger.fatal({ err }, 'auth failed to start');
  await runtime.close();
  process.exit(1);
}

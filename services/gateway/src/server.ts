import { Type } from 'typebox';
import { ConfigError, loadConfigOrExit } from '@realchat/config';
import { createJetStreamBus, type EventBus } from '@realchat/bus';
import { systemClock } from '@realchat/clock';
import { createLogger } from '@realchat/logging';
import { AuthenticationEnvSchema, remoteAuthentication, RuntimeEnvSchema } from '@realchat/runtime';
import { createMemoryStore, createRedisStore } from '@realchat/store';
import { buildGateway } from './app.js';
import type { GatewayConfig } from './config.js';
import { GatewayEnvSchema, toGatewayConfig } from './env.js';

/**
 * The gateway as its own process (distributed mode), in front of separately started services.
 * It has no database: Redis (when set) holds shared rate-limit counts and the service registry,
 * NATS (when set) brings revocations.
 */
const env = loadConfigOrExit(
  Type.Object({
    ...GatewayEnvSchema.properties,
    ...Type.Pick(RuntimeEnvSchema, ['PORT', 'HOST', 'LOG_LEVEL', 'REDIS_URL', 'REDIS_PREFIX', 'NATS_URL', 'NATS_STREAM', 'NATS_SUBJECT_PREFIX', 'TRUST_PROXY', 'BODY_LIMIT']).properties,
    ...AuthenticationEnvSchema.properties,
  }),
  process.env,
);

let config: GatewayConfig;
try {
  config = toGatewayConfig(env, { discovery: env.REDIS_URL !== undefined });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`realchat: ${err.message}\n`);
  process.exit(1);
}

const logger = createLogger({ level: env.LOG_LEVEL, name: 'gateway' });
const store =
  env.REDIS_URL === undefined
    ? createMemoryStore({ prefix: env.REDIS_PREFIX })
    : createRedisStore({ url: env.REDIS_URL, prefix: env.REDIS_PREFIX, onError: (err) => logger.warn({ err }, 'redis connection error') });
let bus: EventBus | undefined;
if (env.NATS_URL === undefined) logger.warn('NATS_URL is unset: revoked sessions are refused here only when their tokens expire');
else bus = await createJetStreamBus({ servers: env.NATS_URL.split(','), stream: env.NATS_STREAM, subjectPrefix: env.NATS_SUBJECT_PREFIX, logger, name: 'realchat-gateway' });

// Revocations are replayed over AUTH_ACCESS_TOKEN_TTL, the same setting as the tokens' lifetime.
const authentication = remoteAuthentication(env, { ...(bus === undefined ? {} : { bus }), clock: systemClock, logger });
const app = await buildGateway({ config, logger, verifier: authentication.verifier, store });
const address = await app.listen({ port: env.PORT, host: env.HOST });
// After listening: the keys may be fetched through this gateway itself. Never throws: when auth
// is not up yet the key cache retries with backoff and /readyz says so.
await authentication.start();
logger.info({ url: address, upstreams: config.upstreams, discovery: config.discovery !== false }, 'gateway listening');

let closing = false;
const stop = (signal: NodeJS.Signals): void => {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  void (async () => {
    await app.close();
    await authentication.close();
    await bus?.close();
    await store.close();
  })().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

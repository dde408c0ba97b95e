import { Type } from 'typebox';
import { createRevocationList, createVerifier } from '@realchat/auth-verify';
import { createJetStreamBus, type EventBus } from '@realchat/bus';
import { ConfigError, loadConfigOrExit } from '@realchat/config';
import { createLogger } from '@realchat/logging';
import { RuntimeEnvSchema } from '@realchat/runtime/env';
import { createMemoryStore, createRedisStore } from '@realchat/store';
import { buildGateway } from './app.js';
import type { GatewayConfig } from './config.js';
import { defaultJwksUrl, GatewayEnvSchema, toGatewayConfig } from './env.js';

/**
 * The gateway as its own process (distributed mode), in front of separately started services.
 * It has no database: Redis (when set) holds shared rate-limit counts and the service registry,
 * NATS (when set) brings `session.revoked` and `client.revoked` events.
 */
const env = loadConfigOrExit(
  Type.Object({
    ...GatewayEnvSchema.properties,
    ...Type.Pick(RuntimeEnvSchema, ['PORT', 'HOST', 'LOG_LEVEL', 'REDIS_URL', 'REDIS_PREFIX', 'NATS_URL', 'NATS_STREAM', 'NATS_SUBJECT_PREFIX', 'TRUST_PROXY', 'BODY_LIMIT']).properties,
    AUTH_ISSUER: Type.String({ minLength: 1, default: 'http://localhost:8080' }),
    AUTH_AUDIENCE: Type.String({ minLength: 1, default: 'realchat' }),
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
const jwksUrl = env.GATEWAY_JWKS_URL ?? defaultJwksUrl(config.upstreams);
if (jwksUrl === undefined) {
  process.stderr.write('realchat: GATEWAY_JWKS_URL is required when GATEWAY_UPSTREAMS names no auth instance\n');
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

const revocations = createRevocationList({});
const verifier = createVerifier({ issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, jwksUrl, revocations, logger });
// Never throws: when auth is not up yet the key cache retries with backoff and /readyz says so.
await verifier.start();

const app = await buildGateway({ config, logger, verifier, store, ...(bus === undefined ? {} : { bus, revocations }) });
const address = await app.listen({ port: env.PORT, host: env.HOST });
logger.info({ url: address, upstreams: config.upstreams, discovery: config.discovery !== false }, 'gateway listening');

let closing = false;
const stop = (signal: NodeJS.Signals): void => {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  void (async () => {
    await app.close();
    verifier.close();
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

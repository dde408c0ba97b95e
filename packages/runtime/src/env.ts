import { Type, type Static } from 'typebox';
import { parseAddressList } from '@realchat/config';

/** Variables every RealChat process reads; unset infrastructure URLs select the embedded engines. */
export const RuntimeEnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Listen address; 0.0.0.0 to accept other machines.' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'Embedded mode: PGlite data and generated keys.' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL; unset = PGlite under DATA_DIR.' })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'Redis; unset = in-memory store.' })),
  REDIS_PREFIX: Type.String({ default: 'realchat:' }),
  NATS_URL: Type.Optional(Type.String({ minLength: 1, description: 'NATS JetStream servers; unset = in-process bus.' })),
  NATS_STREAM: Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'REALCHAT_EVENTS' }),
  NATS_SUBJECT_PREFIX: Type.String({ pattern: '^[a-z0-9_-]+$', default: 'realchat' }),
  TRUST_PROXY: Type.String({ default: 'false', description: '`false`, `true`, or a comma-separated list of trusted proxy addresses/CIDRs.' }),
  ANNOUNCE_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'With REDIS_URL: the URL this instance announces to the gateway (self-registration).' })),
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 10 * 1024 * 1024, default: 64 * 1024 }),
});

export type RuntimeEnv = Static<typeof RuntimeEnvSchema>;

/** Fastify's trustProxy from TRUST_PROXY: never trusts X-Forwarded-For unless told which proxies to believe. */
export function trustProxyOf(value: string): boolean | string[] {
  const keyword = value.trim().toLowerCase();
  if (keyword === 'false') return false;
  if (keyword === 'true') return true;
  return parseAddressList('TRUST_PROXY', value);
}

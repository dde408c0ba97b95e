import { resolve } from 'node:path';
import { Type, type Static } from 'typebox';
import { ConfigError, DURATION_PATTERN, parseAddressList, parseDuration } from '@realchat/config';
import { gatewayConfig, type GatewayConfig, type RateLimitSetting } from './config.js';

const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;
const RATE = '^(off|[1-9][0-9]*/[1-9][0-9]*(ms|s|m|h))$';

/** The gateway's environment variables; the runtime's (PORT, REDIS_URL, TRUST_PROXY, BODY_LIMIT, ...) come on top. */
export const GatewayEnvSchema = Type.Object({
  GATEWAY_UPSTREAMS: Type.String({
    default: '',
    description: 'Static upstream instances: `service=url,url;service=url` (e.g. `auth=http://127.0.0.1:8081`).',
  }),
  GATEWAY_DISCOVERY_INTERVAL: Type.String({ pattern: DURATION_PATTERN, default: '2s', description: 'With REDIS_URL: how often the service registry is scanned.' }),
  GATEWAY_CORS_ORIGINS: Type.String({ default: '', description: 'Comma-separated browser origins allowed by CORS (credentials allowed).' }),
  GATEWAY_HSTS: Type.Boolean({ default: false, description: 'Send Strict-Transport-Security: only when clients reach the gateway over TLS.' }),
  GATEWAY_RATE_LIMIT_IP: Type.String({ pattern: RATE, default: '600/1m', description: 'Requests per client address per window, or `off`.' }),
  GATEWAY_RATE_LIMIT_USER: Type.String({ pattern: RATE, default: '1200/1m', description: 'Authenticated requests per user per window, or `off`.' }),
  GATEWAY_WS_MAX_PER_IP: Type.Integer({
    minimum: 1,
    default: 64,
    description: 'Open WebSockets one client address may hold on one gateway instance; the next handshake gets 429 until one closes.',
  }),
  GATEWAY_PROXY_TIMEOUT: Type.String({ pattern: DURATION_PATTERN, default: '10s', description: 'Time an upstream has to start answering.' }),
  GATEWAY_PROXY_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 5, default: 2, description: 'Attempts for idempotent requests that fail before any answer.' }),
  GATEWAY_HEALTH_INTERVAL: Type.String({ pattern: DURATION_PATTERN, default: '5s', description: 'Active health checks of every upstream instance.' }),
  GATEWAY_METRICS_ALLOW: Type.String({
    default: '127.0.0.1/8,::1',
    description: 'Comma-separated client addresses/CIDRs that may read /metrics (judged on the client address TRUST_PROXY yields); others get 404.',
  }),
  GATEWAY_WEB_ROOT: Type.String({
    default: '',
    description: 'Folder of the web app build (index.html and assets/) served at `/`; empty: no web app. `npm start` serves the one `npm install` builds.',
  }),
  GATEWAY_REQUIRED_SERVICES: Type.String({
    default: '',
    description: 'Comma-separated services that need an available instance (and known routes) for /readyz to answer 200, besides every service named in GATEWAY_UPSTREAMS; `all`: every service known.',
  }),
});

export type GatewayEnv = Static<typeof GatewayEnvSchema>;

/** `auth=http://a:1,http://b:2;chat=http://c:3` → `{ auth: [...], chat: [...] }`. */
function parseUpstreams(value: string): Record<string, string[]> {
  const upstreams: Record<string, string[]> = {};
  for (const part of value.split(';').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const eq = part.indexOf('=');
    const service = part.slice(0, eq).trim();
    if (eq <= 0 || !SERVICE_NAME.test(service)) throw new ConfigError(`GATEWAY_UPSTREAMS: "${part}" is not service=url[,url]`);
    const urls = part.slice(eq + 1).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const origins = urls.map((url) => {
      if (!URL.canParse(url) || new URL(url).protocol !== 'http:') throw new ConfigError(`GATEWAY_UPSTREAMS: ${url} is not an http:// URL`);
      const parsed = new URL(url);
      // The gateway never rewrites paths: a base path would be silently dropped, so it is refused.
      if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
        throw new ConfigError(`GATEWAY_UPSTREAMS: ${url} must be an origin (http://host:port), without path, query or credentials`);
      }
      return parsed.origin;
    });
    upstreams[service] = [...(upstreams[service] ?? []), ...origins];
  }
  return upstreams;
}

/** A comma-separated list of service names. */
function serviceList(name: string, value: string): string[] {
  const services = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const service of services) if (!SERVICE_NAME.test(service)) throw new ConfigError(`${name}: "${service}" is not a service name`);
  return services;
}

function rateOf(name: string, value: string): RateLimitSetting | false {
  if (value === 'off') return false;
  const [limit, window] = value.split('/') as [string, string];
  const windowMs = parseDuration(window);
  if (windowMs < 1000) throw new ConfigError(`${name}: the window must be at least 1s`);
  return { limit: Number(limit), windowMs };
}

/** Settings shared with the runtime's environment. */
export interface GatewayRuntimeSettings {
  readonly TRUST_PROXY: string;
  readonly BODY_LIMIT: number;
}

/**
 * The gateway configuration from the environment. `TRUST_PROXY=true` is refused: trusting every
 * peer's X-Forwarded-For would let any client choose its own rate-limit bucket.
 */
export function toGatewayConfig(env: GatewayEnv & GatewayRuntimeSettings, options: { discovery: boolean }): GatewayConfig {
  if (env.TRUST_PROXY.trim().toLowerCase() === 'true') throw new ConfigError('TRUST_PROXY: list the addresses or CIDRs of the proxies in front of the gateway; `true` would trust forged X-Forwarded-For');
  const trustProxy = env.TRUST_PROXY.trim().toLowerCase() === 'false' ? false : parseAddressList('TRUST_PROXY', env.TRUST_PROXY);
  const defaults = gatewayConfig();
  const upstreams = parseUpstreams(env.GATEWAY_UPSTREAMS);
  return gatewayConfig({
    upstreams,
    corsOrigins: env.GATEWAY_CORS_ORIGINS.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    hsts: env.GATEWAY_HSTS ? { maxAgeSec: 31_536_000, includeSubDomains: true } : false,
    bodyLimit: env.BODY_LIMIT,
    trustProxy,
    rateLimit: { ip: rateOf('GATEWAY_RATE_LIMIT_IP', env.GATEWAY_RATE_LIMIT_IP), user: rateOf('GATEWAY_RATE_LIMIT_USER', env.GATEWAY_RATE_LIMIT_USER) },
    maxSocketsPerIp: env.GATEWAY_WS_MAX_PER_IP,
    proxy: { timeoutMs: parseDuration(env.GATEWAY_PROXY_TIMEOUT), maxAttempts: env.GATEWAY_PROXY_ATTEMPTS },
    healthCheck: { ...defaults.healthCheck, intervalMs: parseDuration(env.GATEWAY_HEALTH_INTERVAL) },
    discovery: options.discovery ? { intervalMs: parseDuration(env.GATEWAY_DISCOVERY_INTERVAL) } : false,
    metricsAllow: parseAddressList('GATEWAY_METRICS_ALLOW', env.GATEWAY_METRICS_ALLOW),
    // Relative to the working directory, as a path on the command line would be.
    web: env.GATEWAY_WEB_ROOT.trim() === '' ? false : { root: resolve(env.GATEWAY_WEB_ROOT.trim()) },
    requiredServices: env.GATEWAY_REQUIRED_SERVICES.trim() === 'all' ? 'all' : serviceList('GATEWAY_REQUIRED_SERVICES', env.GATEWAY_REQUIRED_SERVICES),
  });
}

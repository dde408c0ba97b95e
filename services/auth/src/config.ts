import { availableParallelism } from 'node:os';
import { Type, type Static } from 'typebox';
import { ConfigError, DURATION_PATTERN, parseDuration } from '@realchat/config';

const Duration = (defaultValue: string, description: string) => Type.String({ pattern: DURATION_PATTERN, default: defaultValue, description });

/** The auth service's environment variables (validated once at start-up). */
export const AuthEnvSchema = Type.Object({
  AUTH_ISSUER: Type.Optional(
    Type.String({
      minLength: 1,
      pattern: '^https?://[^?#]+$',
      description:
        'The `iss` of every token and the authorization server issuer (RFC 8414). Default: the address this process listens on, http://HOST:PORT (a wildcard HOST as loopback). Required with ANNOUNCE_URL: instances behind a gateway share its public URL.',
    }),
  ),
  AUTH_AUDIENCE: Type.String({ minLength: 1, default: 'realchat', description: 'The `aud` of access tokens.' }),
  AUTH_SIGNING_ALG: Type.Union([Type.Literal('RS256'), Type.Literal('ES256'), Type.Literal('EdDSA')], { default: 'RS256' }),
  AUTH_SIGNING_KEY_PEM: Type.Optional(Type.String({ minLength: 50, description: 'A PKCS#8 private key PEM; when set, it is the only signing key and is not rotated.' })),
  AUTH_ACCESS_TOKEN_TTL: Duration('15m', 'Lifetime of access tokens.'),
  AUTH_REFRESH_TOKEN_TTL: Duration('7d', 'Lifetime of each refresh token (renewed at each rotation).'),
  AUTH_SESSION_MAX_LIFETIME: Duration('30d', 'Absolute lifetime of a session, whatever its rotations.'),
  AUTH_REFRESH_GRACE: Duration('5s', 'How long a replay of the immediate parent token gets the same successor (at most 60s).'),
  AUTH_KEY_ROTATION_INTERVAL: Duration('30d', 'How often a new signing key is introduced.'),
  AUTH_KEY_PUBLISH_LEAD: Duration('10m', 'How long a new key is published in the JWKS before it signs.'),
  AUTH_KEY_RELOAD_INTERVAL: Duration('30s', 'How often an instance reloads the key set (rotation by another instance).'),
  AUTH_CLIENT_RELOAD_INTERVAL: Duration('2s', 'How often an instance reloads the live service clients (one created by another process is accepted after at most this long).'),
  AUTH_BCRYPT_COST: Type.Integer({ minimum: 4, maximum: 15, default: 12 }),
  AUTH_BCRYPT_CONCURRENCY: Type.Optional(
    Type.Integer({ minimum: 1, description: 'bcrypt hashes run at once; the rest queue. Default: one less than the cores (at least 1), so the event loop keeps a core.' }),
  ),
  AUTH_BCRYPT_NICE: Type.Integer({
    minimum: 0,
    maximum: 19,
    default: 10,
    description: 'Nice value of the bcrypt threads (Linux; 0 = the event loop\'s priority): when the cores are busy, other requests get the CPU before password checks.',
  }),
  AUTH_LOGIN_IP_LIMIT: Type.Integer({ minimum: 1, default: 30, description: 'Login attempts per IP per minute.' }),
  AUTH_LOGIN_FAILURE_LIMIT: Type.Integer({ minimum: 1, default: 5, description: 'Failed logins per account and IP per 15 minutes.' }),
  AUTH_LOGIN_ACCOUNT_FAILURE_LIMIT: Type.Integer({ minimum: 1, default: 20, description: 'Failed logins per account from all IPs per 15 minutes.' }),
  AUTH_LOGIN_DEVICE_FAILURE_LIMIT: Type.Integer({
    minimum: 1,
    default: 10,
    description: 'Failed logins per 15 minutes from a browser holding a device cookie of the account; such logins are not subject to the account limits.',
  }),
  AUTH_REGISTER_IP_LIMIT: Type.Integer({ minimum: 1, default: 30, description: 'Registrations per IP per minute (a class behind one NAT address registers together).' }),
  AUTH_BOOTSTRAP_ADMIN_EMAIL: Type.Optional(
    Type.String({
      format: 'email',
      description: 'Made ADMIN at a start-up, at most once per database, if registered before the first start-up that named it and no admin exists yet.',
    }),
  ),
  AUTH_KEY_ENCRYPTION_KEY: Type.Optional(Type.String({ minLength: 40, description: 'Base64 32-byte key that encrypts signing keys at rest (from a secrets manager).' })),
  AUTH_KEY_ENCRYPTION_KEY_FILE: Type.Optional(Type.String({ minLength: 1, description: 'File holding the key-encryption key (a mounted secret).' })),
  AUTH_COOKIE_SECURE: Type.Boolean({ default: true, description: 'Secure attribute of the refresh-token and device cookies.' }),
});

export type AuthEnv = Static<typeof AuthEnvSchema>;

export type SigningAlg = AuthEnv['AUTH_SIGNING_ALG'];

/** The auth service's settings in the units the code uses. */
export interface AuthSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly signingAlg: SigningAlg;
  readonly signingKeyPem: string | undefined;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly sessionMaxLifetimeMs: number;
  readonly refreshGraceMs: number;
  readonly keyRotationIntervalMs: number;
  readonly keyPublishLeadMs: number;
  readonly keyReloadIntervalMs: number;
  readonly clientReloadIntervalMs: number;
  readonly bcryptCost: number;
  readonly bcryptConcurrency: number;
  readonly bcryptNice: number;
  readonly loginIpLimitPerMinute: number;
  readonly loginFailureLimit: number;
  readonly loginAccountFailureLimit: number;
  /** Failed logins per known device (device cookie) per 15 minutes; default 10. */
  readonly loginDeviceFailureLimit: number;
  /** Registrations per IP per minute; default 30. */
  readonly registerIpLimitPerMinute: number;
  readonly bootstrapAdminEmail: string | undefined;
  readonly cookieSecure: boolean;
}

/** The runtime's listen address (PORT, HOST) and ANNOUNCE_URL: what the default issuer is made of. */
export interface ListenEnv {
  readonly PORT?: number;
  readonly HOST?: string;
  readonly ANNOUNCE_URL?: string | undefined;
}

// The runtime's defaults, for callers that pass AuthEnv alone.
const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';

/**
 * The issuer when AUTH_ISSUER is unset: where this process answers, so discovery names reachable
 * URLs. A wildcard HOST (all interfaces) is named by its loopback address; PORT 0 (a port picked
 * at listen time, tests) cannot be named here, so the issuer then has no port.
 */
export function defaultIssuer(listen: { port: number; host: string }): string {
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : /^[:0]+$/.test(listen.host) ? '::1' : listen.host;
  const authority = host.includes(':') ? `[${host}]` : host;
  return listen.port === 0 ? `http://${authority}` : `http://${authority}:${listen.port}`;
}

/** A longer grace would let a stolen, already rotated refresh token be replayed for that long without detection. */
export const MAX_REFRESH_GRACE_MS = 60_000;

/** Throws ConfigError for values the schema cannot express (duration bounds, an issuer that must be given). */
export function toAuthSettings(env: AuthEnv & ListenEnv): AuthSettings {
  const refreshGraceMs = parseDuration(env.AUTH_REFRESH_GRACE);
  if (env.AUTH_ISSUER === undefined && env.ANNOUNCE_URL !== undefined) {
    // Behind a gateway the default (this instance's own address) would differ per instance and from what the gateway expects.
    throw new ConfigError('invalid configuration: AUTH_ISSUER must be set with ANNOUNCE_URL (the public URL of the gateway, the same for every instance and for the gateway)');
  }
  if (refreshGraceMs > MAX_REFRESH_GRACE_MS) {
    throw new ConfigError(`invalid configuration: AUTH_REFRESH_GRACE must be at most 60s (got ${JSON.stringify(env.AUTH_REFRESH_GRACE)})`);
  }
  return Object.freeze({
    issuer: env.AUTH_ISSUER ?? defaultIssuer({ port: env.PORT ?? DEFAULT_PORT, host: env.HOST ?? DEFAULT_HOST }),
    audience: env.AUTH_AUDIENCE,
    signingAlg: env.AUTH_SIGNING_ALG,
    signingKeyPem: env.AUTH_SIGNING_KEY_PEM,
    accessTokenTtlMs: parseDuration(env.AUTH_ACCESS_TOKEN_TTL),
    refreshTokenTtlMs: parseDuration(env.AUTH_REFRESH_TOKEN_TTL),
    sessionMaxLifetimeMs: parseDuration(env.AUTH_SESSION_MAX_LIFETIME),
    refreshGraceMs,
    keyRotationIntervalMs: parseDuration(env.AUTH_KEY_ROTATION_INTERVAL),
    keyPublishLeadMs: parseDuration(env.AUTH_KEY_PUBLISH_LEAD),
    keyReloadIntervalMs: parseDuration(env.AUTH_KEY_RELOAD_INTERVAL),
    clientReloadIntervalMs: parseDuration(env.AUTH_CLIENT_RELOAD_INTERVAL),
    bcryptCost: env.AUTH_BCRYPT_COST,
    bcryptConcurrency: env.AUTH_BCRYPT_CONCURRENCY ?? Math.max(1, availableParallelism() - 1),
    bcryptNice: env.AUTH_BCRYPT_NICE,
    loginIpLimitPerMinute: env.AUTH_LOGIN_IP_LIMIT,
    loginFailureLimit: env.AUTH_LOGIN_FAILURE_LIMIT,
    loginAccountFailureLimit: env.AUTH_LOGIN_ACCOUNT_FAILURE_LIMIT,
    loginDeviceFailureLimit: env.AUTH_LOGIN_DEVICE_FAILURE_LIMIT,
    registerIpLimitPerMinute: env.AUTH_REGISTER_IP_LIMIT,
    bootstrapAdminEmail: env.AUTH_BOOTSTRAP_ADMIN_EMAIL?.trim().toLowerCase(),
    cookieSecure: env.AUTH_COOKIE_SECURE,
  });
}

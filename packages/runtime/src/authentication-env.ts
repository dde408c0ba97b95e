import { Type, type Static, type TObject } from 'typebox';
import { Compile } from 'typebox/compile';
import { DURATION_PATTERN, parseDuration } from '@realchat/config';
import { createAuthentication, createServiceTokenSource, type Authentication } from '@realchat/auth-verify';
import type { EventBus } from '@realchat/bus';
import type { Clock } from '@realchat/clock';
import { RoleSchema } from '@realchat/contracts';
import { AppError } from '@realchat/errors';
import type { Logger } from '@realchat/logging';
import { RuntimeEnvSchema } from './env.js';
import type { AnyServiceDefinition, Identity, IdentityUser } from './service.js';

/** What a process that does not issue tokens (the gateway, chat, ...) needs to verify them. */
export const AuthenticationEnvSchema = Type.Object({
  AUTH_ISSUER: Type.String({ pattern: '^https?://', description: 'The `iss` of the tokens to accept: the auth service\'s AUTH_ISSUER.' }),
  AUTH_AUDIENCE: Type.String({ minLength: 1, default: 'realchat', description: 'The `aud` the tokens must carry.' }),
  AUTH_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'Where the public keys are fetched; default: AUTH_ISSUER + /.well-known/jwks.json.' })),
  AUTH_ACCESS_TOKEN_TTL: Type.String({
    pattern: DURATION_PATTERN,
    default: '15m',
    description: 'The auth service\'s access-token lifetime: revocations this old are replayed at start-up.',
  }),
});

export type AuthenticationEnv = Static<typeof AuthenticationEnvSchema>;

/** A service process's client of auth, for user lookups (`ServiceContext.identity`). */
export const IdentityEnvSchema = Type.Object({
  AUTH_CLIENT_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'This service\'s client id at auth (`realchat clients create <name> --scope users:read`); unset: no user lookups.' })),
  AUTH_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The secret of AUTH_CLIENT_ID.' })),
  AUTH_INTERNAL_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'Where auth itself answers (its /oauth/token and /internal routes, which the gateway does not route); default: AUTH_ISSUER.' })),
});

export type IdentityEnv = Static<typeof IdentityEnvSchema>;

/** Authentication against a remote issuer, from its variables: key cache, revocation list and feed. */
export function remoteAuthentication(env: AuthenticationEnv, deps: { bus?: EventBus; clock: Clock; logger: Logger }): Authentication {
  return createAuthentication({
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    keys: { jwksUrl: env.AUTH_JWKS_URL ?? new URL('/.well-known/jwks.json', env.AUTH_ISSUER).href },
    ...(deps.bus === undefined ? {} : { bus: deps.bus }),
    accessTokenTtlMs: parseDuration(env.AUTH_ACCESS_TOKEN_TTL),
    clock: deps.clock,
    logger: deps.logger,
  });
}

const USERS_READ_SCOPE = 'users:read';
const LOOKUP_TIMEOUT_MS = 5_000;
const userAnswer = Compile(Type.Object({ id: Type.String(), displayName: Type.String(), roles: Type.Array(RoleSchema) }));
const noneAnswer = Compile(Type.Object({ code: Type.Union([Type.Literal('NOT_FOUND'), Type.Literal('VALIDATION_FAILED')]) }));

/**
 * User lookups over auth's internal routes with a client-credentials token. Without credentials
 * it warns once now, and each lookup throws SERVICE_UNAVAILABLE: a process that never looks
 * anyone up runs fine without them.
 */
export function remoteIdentity(env: AuthenticationEnv & IdentityEnv, deps: { clock: Clock; logger: Logger; fetch?: typeof fetch }): Identity {
  const { AUTH_CLIENT_ID: clientId, AUTH_CLIENT_SECRET: clientSecret } = env;
  if (clientId === undefined || clientSecret === undefined) {
    deps.logger.warn('AUTH_CLIENT_ID and AUTH_CLIENT_SECRET are not both set: user lookups at auth will answer SERVICE_UNAVAILABLE');
    const refuse = async (): Promise<never> => {
      throw new AppError('SERVICE_UNAVAILABLE', 'user lookups need AUTH_CLIENT_ID and AUTH_CLIENT_SECRET');
    };
    return { findUser: refuse, findUserByEmail: refuse };
  }
  const base = env.AUTH_INTERNAL_URL ?? env.AUTH_ISSUER;
  const doFetch = deps.fetch ?? fetch;
  const tokens = createServiceTokenSource({ tokenUrl: new URL('/oauth/token', base).href, clientId, clientSecret, scope: USERS_READ_SCOPE, clock: deps.clock, fetch: doFetch });
  const lookup = async (path: string): Promise<IdentityUser | null> => {
    const token = await tokens.getToken().catch((err: unknown) => {
      // Refused credentials are this process's misconfiguration: unavailable to the caller (logged with the cause), not a 500.
      throw err instanceof AppError && err.code === 'INTERNAL' ? new AppError('SERVICE_UNAVAILABLE', 'auth refused this service\'s credentials', { cause: err }) : err;
    });
    let res: Response;
    let body: unknown;
    try {
      res = await doFetch(new URL(path, base), { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) });
      body = await res.json().catch(() => null);
    } catch (err) {
      throw new AppError('UPSTREAM_UNAVAILABLE', 'auth cannot be reached for a user lookup', { cause: err });
    }
    // No such user, or an id or address no account can have; a 404 for the route itself
    // (ROUTE_NOT_FOUND) is a wrong AUTH_INTERNAL_URL, not an answer.
    if ((res.status === 404 || res.status === 400) && noneAnswer.Check(body)) return null;
    if (res.status !== 200 || !userAnswer.Check(body)) throw new AppError('UPSTREAM_UNAVAILABLE', 'auth answered a user lookup unexpectedly', { cause: new Error(`auth answered ${res.status}`) });
    return { id: body.id, displayName: body.displayName, roles: body.roles };
  };
  return {
    findUser: (id) => lookup(`/internal/users/${encodeURIComponent(id)}`),
    findUserByEmail: (email) => lookup(`/internal/users?${new URLSearchParams({ email: email.trim() }).toString()}`),
  };
}

/**
 * The variables of a process running `definitions`: the runtime's, each service's own, and the
 * remote authentication's and identity's when none of them issues tokens. One schema, validated once.
 */
export function serviceEnvSchema(definitions: readonly AnyServiceDefinition[], extra: readonly TObject[] = []): TObject {
  const issuer = definitions.some((d) => d.issuesTokens === true);
  return Type.Object({
    ...RuntimeEnvSchema.properties,
    ...(issuer ? {} : { ...AuthenticationEnvSchema.properties, ...IdentityEnvSchema.properties }),
    ...Object.assign({}, ...definitions.map((d) => d.env.properties)),
    ...Object.assign({}, ...extra.map((schema) => schema.properties)),
  });
}

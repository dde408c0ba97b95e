import { Type, type Static, type TObject } from 'typebox';
import { DURATION_PATTERN, parseDuration } from '@realchat/config';
import { createAuthentication, type Authentication } from '@realchat/auth-verify';
import type { EventBus } from '@realchat/bus';
import type { Clock } from '@realchat/clock';
import type { Logger } from '@realchat/logging';
import { RuntimeEnvSchema } from './env.js';
import type { AnyServiceDefinition } from './service.js';

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

/**
 * The variables of a process running `definitions`: the runtime's, each service's own, and the
 * remote authentication's when none of them issues tokens. One schema, validated once.
 */
export function serviceEnvSchema(definitions: readonly AnyServiceDefinition[], extra: readonly TObject[] = []): TObject {
  const issuer = definitions.some((d) => d.issuesTokens === true);
  return Type.Object({
    ...RuntimeEnvSchema.properties,
    ...(issuer ? {} : AuthenticationEnvSchema.properties),
    ...Object.assign({}, ...definitions.map((d) => d.env.properties)),
    ...Object.assign({}, ...extra.map((schema) => schema.properties)),
  });
}

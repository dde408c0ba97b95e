import { Type, type Static } from 'typebox';
import { defineEvent } from './envelope.js';

const Role = Type.Union([Type.Literal('STUDENT'), Type.Literal('ADMIN')]);
export type Role = Static<typeof Role>;
export const RoleSchema = Role;
export const ROLES: readonly Role[] = ['STUDENT', 'ADMIN'];

/** A new account: carries what other services need for their user projection, not the email. */
export const UserCreated = defineEvent(
  'user.created',
  1,
  Type.Object(
    {
      userId: Type.String({ format: 'uuid' }),
      displayName: Type.String(),
      roles: Type.Array(Role),
      createdAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);

/** A user changed their profile; `updatedAt` orders it against other news of the same user. */
export const UserUpdated = defineEvent(
  'user.updated',
  1,
  Type.Object(
    {
      userId: Type.String({ format: 'uuid' }),
      displayName: Type.String(),
      updatedAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);

export const UserRolesChanged = defineEvent(
  'user.roles_changed',
  1,
  Type.Object(
    {
      userId: Type.String({ format: 'uuid' }),
      roles: Type.Array(Role),
      previousRoles: Type.Array(Role),
      changedBy: Type.String({ format: 'uuid' }),
    },
    { additionalProperties: false },
  ),
);

/**
 * A refresh family (session) was revoked. Verifiers reject access tokens whose `sid` matches
 * until `accessTokenExpiresAt`, the latest `exp` of any access token issued to that session.
 */
export const SessionRevoked = defineEvent(
  'session.revoked',
  1,
  Type.Object(
    {
      sessionId: Type.String({ format: 'uuid' }),
      userId: Type.String({ format: 'uuid' }),
      accessTokenExpiresAt: Type.String({ format: 'date-time' }),
      reason: Type.Union([
        Type.Literal('logout'),
        Type.Literal('logout_all'),
        Type.Literal('user_revoked'),
        Type.Literal('password_changed'),
        Type.Literal('reuse_detected'),
        Type.Literal('roles_changed'),
        Type.Literal('admin'),
      ]),
    },
    { additionalProperties: false },
  ),
);

/**
 * A user signed in: a new session (refresh family) began. `newDevice` is true when the user had
 * signed in before but never with this user agent (the notification service warns them).
 */
export const SessionStarted = defineEvent(
  'session.started',
  1,
  Type.Object(
    {
      sessionId: Type.String({ format: 'uuid' }),
      userId: Type.String({ format: 'uuid' }),
      userAgent: Type.Union([Type.String({ maxLength: 300 }), Type.Null()]),
      newDevice: Type.Boolean(),
      startedAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);

/**
 * An OAuth 2.0 client was revoked. Verifiers reject its client-credentials (service) access tokens
 * until `accessTokenExpiresAt`, the latest `exp` any of them can carry.
 */
export const ClientRevoked = defineEvent(
  'client.revoked',
  1,
  Type.Object(
    {
      clientId: Type.String({ minLength: 1, maxLength: 256 }),
      accessTokenExpiresAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);

/**
 * One access token was revoked (RFC 7009; a service token, which has no session to revoke).
 * Verifiers reject the token whose `jti` matches until `expiresAt`, its `exp`.
 */
export const TokenRevoked = defineEvent(
  'token.revoked',
  1,
  Type.Object(
    {
      jti: Type.String({ minLength: 1, maxLength: 256 }),
      expiresAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);

export type UserCreatedData = Static<typeof UserCreated.schema>;
export type UserUpdatedData = Static<typeof UserUpdated.schema>;
export type UserRolesChangedData = Static<typeof UserRolesChanged.schema>;
export type SessionStartedData = Static<typeof SessionStarted.schema>;
export type SessionRevokedData = Static<typeof SessionRevoked.schema>;
export type ClientRevokedData = Static<typeof ClientRevoked.schema>;
export type TokenRevokedData = Static<typeof TokenRevoked.schema>;

/** Every event type of the system, keyed by `type`. */
export const eventCatalog = {
  [UserCreated.type]: UserCreated,
  [UserUpdated.type]: UserUpdated,
  [UserRolesChanged.type]: UserRolesChanged,
  [SessionStarted.type]: SessionStarted,
  [SessionRevoked.type]: SessionRevoked,
  [ClientRevoked.type]: ClientRevoked,
  [TokenRevoked.type]: TokenRevoked,
} as const;

export type EventType = keyof typeof eventCatalog;
export type EventDataOf<T extends EventType> = Static<(typeof eventCatalog)[T]['schema']>;

import { Type } from 'typebox';
import { RoleSchema } from '@realchat/contracts';
import { Page, pageQuery } from '@realchat/http';

// Emails: RFC 5321 caps an address at 254 characters.
export const Email = Type.String({ format: 'email', maxLength: 254 });
// The strength rules run in PasswordService; the schema only bounds the size.
export const Password = Type.String({ minLength: 1, maxLength: 256 });

// Trimmed by the service, which refuses a blank one.
const DisplayName = Type.String({ minLength: 1, maxLength: 64 });

export const RegisterBody = Type.Object({ email: Email, password: Password, displayName: DisplayName }, { additionalProperties: false });

export const ProfileBody = Type.Object({ displayName: DisplayName }, { additionalProperties: false });

export const EmailQuery = Type.Object({ email: Email }, { additionalProperties: false });

export const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });

export const RefreshBody = Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false });

export const PasswordBody = Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false });

export const RolesBody = Type.Object(
  { roles: Type.Array(RoleSchema, { minItems: 1, maxItems: 2, uniqueItems: true }) },
  { additionalProperties: false },
);

export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  displayName: Type.String(),
  roles: Type.Array(RoleSchema),
  createdAt: Type.String({ format: 'date-time' }),
});

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  refresh_token: Type.Optional(Type.String()),
  refresh_expires_in: Type.Integer(),
});

export const Session = Type.Object({
  id: Type.String({ format: 'uuid' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});

export const SessionPage = Page(Session);
export const SessionsQuery = pageQuery();

export const UserPage = Page(User);
export const UsersQuery = pageQuery(
  {},
  { email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'Only users whose email starts with this (compared as emails are: trimmed, NFC, lower case).' })) },
);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
  },
  { additionalProperties: true },
);

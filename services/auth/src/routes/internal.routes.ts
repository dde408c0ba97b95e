import { Type } from 'typebox';
import { RoleSchema } from '@realchat/contracts';
import type { App } from '@realchat/http';
import type { UserService } from '../services/user.service.js';
import { EmailQuery, IdParams } from './schemas.js';

const InternalUser = Type.Object({ id: Type.String(), displayName: Type.String(), roles: Type.Array(RoleSchema), createdAt: Type.String() });

/** The scope a service token needs to read user projections. */
export const USERS_READ_SCOPE = 'users:read';

/** Service-to-service routes: never routed by the gateway, and guarded by a client-credentials scope. */
export async function internalRoutes(app: App, deps: { users: UserService }): Promise<void> {
  app.get(
    '/internal/users/:id',
    {
      config: { scopes: [USERS_READ_SCOPE] },
      schema: {
        tags: ['internal'],
        params: IdParams,
        response: { 200: InternalUser },
      },
    },
    async (request) => {
      const user = await deps.users.get(request.params.id);
      return { id: user.id, displayName: user.displayName, roles: user.roles, createdAt: user.createdAt };
    },
  );

  // By email (compared as at login), for a service resolving an address a user typed; never echoes the email.
  app.get(
    '/internal/users',
    { config: { scopes: [USERS_READ_SCOPE] }, schema: { tags: ['internal'], querystring: EmailQuery, response: { 200: InternalUser } } },
    async (request) => {
      const user = await deps.users.getByEmail(request.query.email);
      return { id: user.id, displayName: user.displayName, roles: user.roles, createdAt: user.createdAt };
    },
  );
}

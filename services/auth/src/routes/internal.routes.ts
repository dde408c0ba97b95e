import { Type } from 'typebox';
import { RoleSchema } from '@realchat/contracts';
import type { App } from '@realchat/http';
import type { UserService } from '../services/user.service.js';
import { IdParams } from './schemas.js';

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
        response: { 200: Type.Object({ id: Type.String(), displayName: Type.String(), roles: Type.Array(RoleSchema), createdAt: Type.String() }) },
      },
    },
    async (request) => {
      const user = await deps.users.get(request.params.id);
      return { id: user.id, displayName: user.displayName, roles: user.roles, createdAt: user.createdAt };
    },
  );
}

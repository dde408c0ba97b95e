import type { FastifyRequest } from 'fastify';
import { AppError } from '@realchat/errors';

/** Who makes a request: a signed-in person, and whether they may moderate. */
export interface Actor {
  readonly userId: string;
  readonly admin: boolean;
}

/** The signed-in person making the request: the forum's routes are for user tokens, not service tokens. */
export function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal;
  if (principal?.kind !== 'user') throw new AppError('INSUFFICIENT_SCOPE', 'this route is for user tokens', { headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' } });
  return { userId: principal.userId, admin: principal.roles.includes('ADMIN') };
}

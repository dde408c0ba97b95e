import type { FastifyRequest } from 'fastify';
import type { UserPrincipal } from '@realchat/auth-verify';
import { AppError } from '@realchat/errors';

/** The signed-in person making the request: an inbox belongs to a user, not to a service token. */
export function userOf(request: FastifyRequest): UserPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'user') throw new AppError('INSUFFICIENT_SCOPE', 'this route is for user tokens', { headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' } });
  return principal;
}

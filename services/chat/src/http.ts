import type { FastifyRequest } from 'fastify';
import type { UserPrincipal } from '@realchat/auth-verify';
import { AppError } from '@realchat/errors';

/** The signed-in person making the request: chat's routes are for user tokens, not service tokens. */
export function userOf(request: FastifyRequest): UserPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'user') throw new AppError('INSUFFICIENT_SCOPE', 'this route is for user tokens', { headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' } });
  return principal;
}

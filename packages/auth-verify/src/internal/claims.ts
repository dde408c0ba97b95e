import { ROLES, type Role } from '@realchat/contracts';
import type { Principal } from '../types.js';
import { TokenError } from '../token-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KNOWN_ROLES: ReadonlySet<string> = new Set(ROLES);
const EMPTY: readonly [] = Object.freeze([]) as readonly [];

export interface ClaimRules {
  readonly issuer: string;
  readonly audiences: ReadonlySet<string>;
  readonly toleranceMs: number;
}

function isShortString(value: unknown, max = 256): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function optionalNumber(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TokenError('BAD_CLAIMS');
  return value;
}

function scopesOf(scope: unknown): readonly string[] {
  if (scope === undefined) return EMPTY;
  if (typeof scope !== 'string') throw new TokenError('BAD_CLAIMS');
  return Object.freeze(scope.split(' ').filter((s) => s.length > 0));
}

/** Checks the registered claims and builds the principal; `exp` is returned in epoch ms. */
export function principalFromClaims(claims: Record<string, unknown>, rules: ClaimRules, nowMs: number): { principal: Principal; expMs: number } {
  if (claims['iss'] !== rules.issuer) throw new TokenError('BAD_ISSUER');
  const aud = claims['aud'];
  const audOk = typeof aud === 'string' ? rules.audiences.has(aud) : Array.isArray(aud) && aud.some((a) => typeof a === 'string' && rules.audiences.has(a));
  if (!audOk) throw new TokenError('BAD_AUDIENCE');

  const exp = optionalNumber(claims['exp']);
  if (exp === undefined) throw new TokenError('BAD_CLAIMS');
  const expMs = exp * 1000;
  if (expMs + rules.toleranceMs <= nowMs) throw new TokenError('EXPIRED');
  const nbf = optionalNumber(claims['nbf']);
  if (nbf !== undefined && nbf * 1000 - rules.toleranceMs > nowMs) throw new TokenError('NOT_YET_VALID');
  const iat = optionalNumber(claims['iat']);
  if (iat !== undefined && iat * 1000 - rules.toleranceMs > nowMs) throw new TokenError('NOT_YET_VALID');

  const sub = claims['sub'];
  const jti = claims['jti'];
  if (!isShortString(sub) || !isShortString(jti)) throw new TokenError('BAD_CLAIMS');
  const scopes = scopesOf(claims['scope']);
  const expiresAt = new Date(expMs);
  const sid = claims['sid'];

  if (sid !== undefined) {
    const roles = claims['roles'];
    if (typeof sid !== 'string' || !UUID.test(sid) || !UUID.test(sub) || !Array.isArray(roles)) throw new TokenError('BAD_CLAIMS');
    // Roles this version does not know grant nothing here, but do not invalidate the token.
    const known = roles.filter((r): r is Role => typeof r === 'string' && KNOWN_ROLES.has(r));
    const principal: Principal = Object.freeze({
      kind: 'user',
      userId: sub,
      sessionId: sid,
      roles: Object.freeze(known),
      scopes,
      tokenId: jti,
      expiresAt,
    });
    return { principal, expMs };
  }

  // A client-credentials token: sub is the client; it must not claim user roles.
  const clientId = claims['client_id'];
  const roles = claims['roles'];
  if (clientId !== sub || (roles !== undefined && !(Array.isArray(roles) && roles.length === 0))) throw new TokenError('BAD_CLAIMS');
  const principal: Principal = Object.freeze({ kind: 'service', clientId: sub, scopes, roles: EMPTY, tokenId: jti, expiresAt });
  return { principal, expMs };
}

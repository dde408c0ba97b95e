import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const REFRESH_PREFIX = 'rt_';

/** A new opaque refresh token: 256 random bits. */
export function newRefreshToken(): string {
  return REFRESH_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The successor of a refresh token is derived from it with a server-side key, so a replay of the
 * immediate parent within the grace window gets the same successor without any token kept in plaintext.
 */
export function successorOf(token: string, derivationKey: Buffer): string {
  return REFRESH_PREFIX + createHmac('sha256', derivationKey).update(token).digest('base64url');
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Cheap shape check before any database lookup. */
export function looksLikeRefreshToken(token: string): boolean {
  return token.length === REFRESH_PREFIX.length + 43 && token.startsWith(REFRESH_PREFIX);
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A new client secret for the client-credentials grant: 256 random bits. */
export function newClientSecret(): string {
  return 'cs_' + randomBytes(32).toString('base64url');
}

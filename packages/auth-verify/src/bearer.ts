import type { Principal, Verifier } from './types.js';
import { TokenError } from './token-error.js';

// RFC 6750 §2.1: `Bearer` (any case), one space or more, one token68, optional spaces.
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^bearer +/i;

function malformed(): TokenError {
  return new TokenError('MALFORMED', { challengeError: 'invalid_request' });
}

/**
 * Verifies the token of an `Authorization` header value that must read `Bearer <token68>`.
 * Rejects as `verify` does, or with MALFORMED (RFC 6750 `invalid_request`) when the header is not
 * of that form. The form is checked only when verification fails: a token `verify` accepts is
 * base64url and dots, so a valid one needs no check, and matching the 800-character header on
 * every request was a measurable share of a cached verification. `verifier` must therefore be one
 * of `createVerifier`'s (or hold to that rule). A malformed header may reach `verify` and set off
 * its throttled refetch for an unknown kid, as the same token without the stray character would.
 */
export async function verifyBearer(verifier: Pick<Verifier, 'verify'>, header: string): Promise<Principal> {
  const scheme = SCHEME.exec(header);
  if (scheme === null) throw malformed();
  let end = header.length;
  while (end > scheme[0].length && header.charCodeAt(end - 1) === 32) end--;
  try {
    return await verifier.verify(header.slice(scheme[0].length, end));
  } catch (err) {
    throw BEARER.test(header) ? err : malformed();
  }
}

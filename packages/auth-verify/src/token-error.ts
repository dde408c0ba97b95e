import { AppError } from '@realchat/errors';

/** Why a token was refused; stable, sent to clients as the problem's `reason`. */
export type TokenErrorReason =
  | 'MALFORMED'
  | 'ALG_NOT_ALLOWED'
  | 'FORBIDDEN_HEADER'
  | 'BAD_TYP'
  | 'UNKNOWN_KID'
  | 'BAD_SIGNATURE'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'BAD_ISSUER'
  | 'BAD_AUDIENCE'
  | 'BAD_CLAIMS'
  | 'REVOKED';

const DESCRIPTIONS: Readonly<Record<TokenErrorReason, string>> = {
  MALFORMED: 'The token is malformed',
  ALG_NOT_ALLOWED: 'The token algorithm is not allowed',
  FORBIDDEN_HEADER: 'The token header has a forbidden parameter',
  BAD_TYP: 'The token is not an access token',
  UNKNOWN_KID: 'The token was signed by an unknown key',
  BAD_SIGNATURE: 'The token signature is invalid',
  EXPIRED: 'The token has expired',
  NOT_YET_VALID: 'The token is not valid yet',
  BAD_ISSUER: 'The token issuer is not accepted',
  BAD_AUDIENCE: 'The token audience is not accepted',
  BAD_CLAIMS: 'The token claims are invalid',
  REVOKED: 'The token has been revoked',
};

/**
 * An access token was refused: 401 `INVALID_TOKEN` (`TOKEN_EXPIRED` when only its lifetime is
 * over), with the reason in the problem and an RFC 6750 `WWW-Authenticate` challenge. The detail
 * is a fixed sentence per reason: nothing from the token is echoed.
 */
export class TokenError extends AppError {
  readonly reason: TokenErrorReason;

  constructor(reason: TokenErrorReason, options: { cause?: unknown; challengeError?: 'invalid_token' | 'invalid_request' } = {}) {
    const description = DESCRIPTIONS[reason];
    super(reason === 'EXPIRED' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN', description, {
      cause: options.cause,
      extensions: { reason },
      headers: {
        'WWW-Authenticate': `Bearer realm="realchat", error="${options.challengeError ?? 'invalid_token'}", error_description="${description}"`,
      },
    });
    this.name = 'TokenError';
    this.reason = reason;
  }
}

export function isTokenError(err: unknown): err is TokenError {
  return err instanceof TokenError;
}

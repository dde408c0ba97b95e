/**
 * The closed set of error codes of RealChat, with their HTTP status and title.
 * One table for every service: a client can switch on `code` without knowing which service answered.
 */
export const errorCatalog = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid', description: 'A body, query, path or header field failed its schema; `errors` lists the failing fields.' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON', description: 'The request body could not be parsed as JSON.' },
  BAD_REQUEST: { status: 400, title: 'Bad request', description: 'The request cannot be processed as sent.' },
  INVALID_CURSOR: { status: 400, title: 'The cursor is not valid', description: 'The `cursor` of a list request is malformed or was altered; ask for the first page again without it.' },
  WEAK_PASSWORD: { status: 400, title: 'The password is too weak', description: 'The password is too short, too long for bcrypt (72 bytes), too common or contains the email.' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required', description: 'No bearer token was sent to a route that needs one.' },
  INVALID_TOKEN: { status: 401, title: 'The token is not valid', description: 'The token is malformed, tampered, unknown, revoked, or was signed by a foreign issuer.' },
  TOKEN_EXPIRED: { status: 401, title: 'The token has expired', description: 'The token was valid but its lifetime is over; refresh it.' },
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid email or password', description: 'The same answer for an unknown email and a wrong password.' },
  FORBIDDEN: { status: 403, title: 'Forbidden', description: 'The caller is authenticated but lacks the role for this action.' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'Insufficient scope', description: 'The token lacks a role or scope that the route requires.' },
  NOT_FOUND: { status: 404, title: 'Not found', description: 'The resource does not exist or is not visible to the caller.' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route', description: 'No route matches this method and path.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', description: 'The route exists but does not accept this HTTP method.' },
  NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable', description: 'No representation matches the `Accept` header of the request.' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout', description: 'The request was not received completely in time.' },
  EMAIL_TAKEN: { status: 409, title: 'The email is already registered', description: 'Another account uses this email.' },
  CONFLICT: { status: 409, title: 'Conflict', description: 'The request conflicts with the current state of the resource.' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is too large', description: 'The request body exceeds the size limit.' },
  URI_TOO_LONG: { status: 414, title: 'The URI is too long', description: 'The request URI or one of its path parameters exceeds the length limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', description: 'The Content-Type of the body is not accepted by this route.' },
  RATE_LIMITED: { status: 429, title: 'Too many requests', description: 'A rate limit was hit; retry after the number of seconds in `Retry-After`.' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The headers are too large', description: 'The request headers, or one of them, exceed the size limit.' },
  INTERNAL: { status: 500, title: 'Internal error', description: 'An unexpected error; it was logged with the request id.' },
  BAD_GATEWAY: { status: 502, title: 'Bad gateway', description: 'An upstream service answered with an invalid response or closed the connection.' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable', description: 'A dependency of this service is unavailable; retry later.' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'Database unavailable', description: 'The database cannot be reached; retry later.' },
  KEYS_UNAVAILABLE: { status: 503, title: 'Signing keys unavailable', description: 'No usable verification or signing key is available yet.' },
  UPSTREAM_UNAVAILABLE: { status: 503, title: 'Upstream unavailable', description: 'No healthy instance of the upstream service is available.' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream timeout', description: 'The upstream service did not answer in time.' },
} as const satisfies Record<string, { status: number; title: string; description: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export function statusOf(code: ErrorCode): number {
  return errorCatalog[code].status;
}

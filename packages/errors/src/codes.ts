/** What a code means: its HTTP status, a title for the problem document, a description for the docs. */
export interface ErrorDefinition {
  readonly status: number;
  readonly title: string;
  readonly description: string;
}

/**
 * The generic error codes every service may answer with (validation, authentication, transport,
 * availability). A service's own codes live in its own catalog (`defineErrors`), not here.
 */
export const errorCatalog = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid', description: 'A body, query, path or header field failed its schema; `errors` lists the failing fields.' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON', description: 'The request body could not be parsed as JSON.' },
  BAD_REQUEST: { status: 400, title: 'Bad request', description: 'The request cannot be processed as sent.' },
  INVALID_CURSOR: { status: 400, title: 'The cursor is not valid', description: 'The `cursor` of a list request is malformed or was altered; ask for the first page again without it.' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required', description: 'No bearer token was sent to a route that needs one.' },
  INVALID_TOKEN: { status: 401, title: 'The token is not valid', description: 'The token is malformed, tampered, unknown, revoked, or was signed by a foreign issuer.' },
  TOKEN_EXPIRED: { status: 401, title: 'The token has expired', description: 'The token was valid but its lifetime is over; refresh it.' },
  FORBIDDEN: { status: 403, title: 'Forbidden', description: 'The caller is authenticated but lacks the role for this action.' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'Insufficient scope', description: 'The token lacks a role or scope that the route requires.' },
  NOT_FOUND: { status: 404, title: 'Not found', description: 'The resource does not exist or is not visible to the caller.' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route', description: 'No route matches this method and path.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', description: 'The route exists but does not accept this HTTP method.' },
  NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable', description: 'No representation matches the `Accept` header of the request.' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout', description: 'The request was not received completely in time.' },
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
} as const satisfies Record<string, ErrorDefinition>;

/** A generic code (the shared catalog). */
export type ErrorCode = keyof typeof errorCatalog;

/** One code of a service's own catalog, as `new AppError(...)` takes it. */
export interface ServiceErrorCode<C extends string = string> extends ErrorDefinition {
  readonly code: C;
  /** The service that defined it. */
  readonly service: string;
}

/** A service's own codes, keyed by code. */
export type ServiceErrors<C extends string = string> = { readonly [K in C]: ServiceErrorCode<K> };

const CODE = /^[A-Z]+(_[A-Z0-9]+)*$/;
const defined = new Map<string, ServiceErrorCode>();

/**
 * Declares a service's own error codes. A code must not shadow a generic one, and a code two
 * services define must mean the same (status and title): a client switches on `code` alone.
 */
export function defineErrors<const C extends string>(service: string, catalog: Readonly<Record<C, ErrorDefinition>>): ServiceErrors<C> {
  const out: Record<string, ServiceErrorCode> = {};
  for (const [code, definition] of Object.entries(catalog) as Array<[C, ErrorDefinition]>) {
    if (!CODE.test(code)) throw new TypeError(`error code ${code} is not UPPER_SNAKE`);
    if (Object.hasOwn(errorCatalog, code)) throw new TypeError(`${service}: error code ${code} is a generic code`);
    const previous = defined.get(code);
    if (previous !== undefined && (previous.status !== definition.status || previous.title !== definition.title)) {
      throw new TypeError(`${service}: error code ${code} is already defined by ${previous.service} with another meaning`);
    }
    const entry: ServiceErrorCode = Object.freeze({ ...definition, code, service });
    defined.set(code, entry);
    out[code] = entry;
  }
  return Object.freeze(out) as ServiceErrors<C>;
}

/** Every code a client can meet: the generic ones and those the services loaded in this process defined. */
export function knownErrors(): ReadonlyMap<string, ErrorDefinition> {
  return new Map<string, ErrorDefinition>([...Object.entries(errorCatalog), ...defined]);
}

export function statusOf(code: ErrorCode): number {
  return errorCatalog[code].status;
}

import { errorCatalog, type ErrorCode, type ServiceErrorCode } from './codes.js';

/** One failing field of a request, as reported under `errors` in a VALIDATION_FAILED problem. */
export interface FieldError {
  /** JSON pointer to the field, e.g. `/password`, or `` for the whole body. */
  readonly path: string;
  readonly message: string;
}

export interface AppErrorOptions {
  readonly cause?: unknown;
  readonly errors?: readonly FieldError[];
  /** Extra response headers, e.g. `Retry-After` or `WWW-Authenticate`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra members of the problem document (RFC 9457 extension members). */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** The one error type every service throws for an expected failure. `detail` is shown to clients; `cause` never is. */
export class AppError extends Error {
  /** A generic code or one of the throwing service's own. */
  readonly code: string;
  readonly status: number;
  /** The code's title (the problem document's `title`). */
  readonly title: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  /** `code`: a generic code by name, or a service's own from its `defineErrors` catalog. */
  constructor(code: ErrorCode | ServiceErrorCode, detail?: string, options: AppErrorOptions = {}) {
    const definition = typeof code === 'string' ? { ...errorCatalog[code], code } : code;
    super(detail ?? definition.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = definition.code;
    this.status = definition.status;
    this.title = definition.title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

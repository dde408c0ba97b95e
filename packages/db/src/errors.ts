import { AppError } from '@realchat/errors';

/** Node socket error codes meaning the database cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED',
]);

/** SQLSTATEs of an unreachable or shutting-down server (class 08, admin/crash shutdown, cannot connect now, too many connections). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages `pg` and `pg-pool` throw without a code when a connection breaks or cannot be made in time. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end/i;

function codeOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** True when `err` says the database is unreachable rather than that the statement failed. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof AppError) return err.code === 'DATABASE_UNAVAILABLE';
  if (err instanceof AggregateError && err.errors.some(isConnectionError)) return true;
  const code = codeOf(err);
  if (code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  return err instanceof Error && UNAVAILABLE_MESSAGE.test(err.message);
}

/*
 * Driver error fields that carry row or parameter values: PGlite attaches the statement's
 * `params` (and `queryOptions`); PostgreSQL's `detail` quotes values ("Key (email)=(...)",
 * "Failing row contains (...)", a password hash included). Errors are logged, so these never leave here.
 */
const VALUE_FIELDS = ['params', 'queryOptions', 'detail'] as const;

function withoutValues(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) for (const field of VALUE_FIELDS) if (field in err) delete (err as Record<string, unknown>)[field];
  return err;
}

/**
 * Wraps a connection failure into AppError('DATABASE_UNAVAILABLE') keeping it as `cause`; returns
 * other errors as they are, minus the fields that quote parameter or row values.
 */
export function toDatabaseError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (!isConnectionError(err)) return withoutValues(err);
  return new AppError('DATABASE_UNAVAILABLE', undefined, { cause: withoutValues(err) });
}

/** True when `err` (from `pg` or PGlite) is a unique-constraint violation (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return codeOf(err) === '23505';
}

/** Name of the constraint a database error is about (e.g. `users_email_key`), if it says. */
export function constraintOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'constraint' in err && typeof err.constraint === 'string') return err.constraint;
  return undefined;
}

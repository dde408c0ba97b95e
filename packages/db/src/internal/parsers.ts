/** Parses an `int8` as a number, refusing silently wrong values beyond 2^53. */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} is beyond Number.MAX_SAFE_INTEGER: select it as text`);
  }
  return value;
}

/** `timestamp without time zone` read as UTC, as PGlite does, whatever the process time zone. */
export function parseTimestampAsUtc(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}

/** `date` as UTC midnight, as PGlite does. */
export function parseDateAsUtc(text: string): Date {
  return new Date(`${text}T00:00:00Z`);
}

/** Postgres type oids whose parsing differs between `pg` and PGlite by default. */
export const OID = { INT8: 20, TIMESTAMP: 1114, DATE: 1082 } as const;

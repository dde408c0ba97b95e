/** TTLs are whole milliseconds ≥ 1 (Redis rejects `PX 0`); a non-finite or negative TTL is a bug. */
export function normalizeTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Math.max(1, Math.ceil(ttlMs));
}

/** Parses a stored counter; like Redis INCRBY, a non-integer value is an error, not a silent reset. */
export function parseCounter(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || value.trim() === '') throw new TypeError('value is not an integer');
  return n;
}

/** The step of an increment: a safe integer, as Redis INCRBY takes; both stores refuse anything else alike. */
export function checkStep(by: number): number {
  if (!Number.isSafeInteger(by)) throw new RangeError(`by must be a safe integer, got ${by}`);
  return by;
}

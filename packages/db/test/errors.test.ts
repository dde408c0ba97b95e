import { AppError } from '@realchat/errors';
import { describe, expect, it } from 'vitest';
import { isConnectionError, isUniqueViolation } from '../src/index.js';
import { toDatabaseError } from '../src/errors.js';

function withCode(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code });
}

describe('database error classification', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', '08006', '08001', '57P01', '57P02', '57P03'])('%s is a connection failure', (code) => {
    expect(isConnectionError(withCode(code))).toBe(true);
  });

  it('recognises pg messages without a code and aggregated socket errors', () => {
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isConnectionError(new AggregateError([withCode('ECONNREFUSED')], 'connect'))).toBe(true);
    expect(isConnectionError(new AppError('DATABASE_UNAVAILABLE'))).toBe(true);
  });

  it.each(['23505', '42P01', '40001', '57014'])('%s is a statement failure, not an outage', (code) => {
    expect(isConnectionError(withCode(code))).toBe(false);
  });

  it('isUniqueViolation looks at the SQLSTATE only', () => {
    expect(isUniqueViolation(withCode('23505'))).toBe(true);
    expect(isUniqueViolation(withCode('23503'))).toBe(false);
    expect(isUniqueViolation('23505')).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });

  // Regression: PGlite's errors carried the statement's parameters, and PostgreSQL's `detail` quotes row values; both reached the logs.
  it('toDatabaseError drops the fields that carry parameter or row values, keeping code and constraint', () => {
    const err = Object.assign(new Error('new row violates check constraint'), { code: '23514', constraint: 'c', params: ['a@b.c'], queryOptions: {}, detail: 'Failing row contains (a@b.c).' });
    expect(toDatabaseError(err)).toBe(err);
    expect({ ...err }).toEqual({ code: '23514', constraint: 'c' });
    const down = toDatabaseError(Object.assign(new Error('x'), { code: 'ECONNREFUSED', params: ['secret'] })) as AppError;
    expect(down.code).toBe('DATABASE_UNAVAILABLE');
    expect(down.cause).not.toHaveProperty('params');
  });
});

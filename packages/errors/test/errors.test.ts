import { describe, expect, it } from 'vitest';
import { AppError, errorCatalog, toProblem, type ErrorCode } from '@realchat/errors';

describe('error catalog', () => {
  it('documents every code with a title, a description and a 4xx/5xx status', () => {
    for (const [code, entry] of Object.entries(errorCatalog)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(entry.title.length).toBeGreaterThan(3);
      expect(entry.description.length).toBeGreaterThan(10);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
    }
  });

  it('renders an AppError as RFC 9457 problem+json without its cause', () => {
    const err = new AppError('VALIDATION_FAILED', 'email is not valid', {
      cause: new Error('secret internals'),
      errors: [{ path: '/email', message: 'must match format "email"' }],
    });
    const problem = toProblem(err, { instance: '/auth/register', requestId: 'r1' });
    expect(problem).toEqual({
      type: 'https://realchat.dev/problems/validation-failed',
      title: errorCatalog.VALIDATION_FAILED.title,
      status: 400,
      detail: 'email is not valid',
      code: 'VALIDATION_FAILED' satisfies ErrorCode,
      instance: '/auth/register',
      requestId: 'r1',
      errors: [{ path: '/email', message: 'must match format "email"' }],
    });
    expect(JSON.stringify(problem)).not.toContain('secret internals');
  });
});

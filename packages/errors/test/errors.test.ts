import { describe, expect, it } from 'vitest';
import { AppError, defineErrors, errorCatalog, knownErrors, toProblem, type ErrorCode } from '@realchat/errors';

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

  it('lets a service define its own codes, rendered like the generic ones', () => {
    const Errors = defineErrors('example', { ROOM_FULL: { status: 409, title: 'The room is full', description: 'No seat is left in this room.' } });
    const problem = toProblem(new AppError(Errors.ROOM_FULL, 'room 7 is full'));
    expect(problem).toMatchObject({ type: 'https://realchat.dev/problems/room-full', title: 'The room is full', status: 409, detail: 'room 7 is full', code: 'ROOM_FULL' });
    expect(knownErrors().get('ROOM_FULL')?.status).toBe(409);
    expect(knownErrors().get('NOT_FOUND')?.status).toBe(404);
  });

  it('refuses a service code that shadows a generic one, or means something else for another service', () => {
    expect(() => defineErrors('example', { NOT_FOUND: { status: 404, title: 'Gone', description: 'Shadowing a generic code.' } })).toThrow(/generic code/);
    defineErrors('one', { SEAT_TAKEN: { status: 409, title: 'The seat is taken', description: 'Someone sits there.' } });
    expect(() => defineErrors('two', { SEAT_TAKEN: { status: 400, title: 'Bad seat', description: 'Another meaning.' } })).toThrow(/already defined by one/);
    expect(() => defineErrors('two', { 'lower': { status: 400, title: 'Bad', description: 'Not upper snake.' } })).toThrow(/UPPER_SNAKE/);
  });
});

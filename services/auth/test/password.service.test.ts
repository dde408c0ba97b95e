import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@realchat/config';
import { AuthEnvSchema, toAuthSettings } from '../src/index.js';
import { PasswordService } from '../src/services/password.service.js';
import { PASSWORD, register, startAuth, uniqueEmail } from './harness.js';

const COST = 4;

describe('PasswordService bcrypt limit', () => {
  it('runs one operation at a time with concurrency 1, in arrival order, each with its own answer', async () => {
    const passwords = new PasswordService({ cost: COST, concurrency: 1 });
    await passwords.warmUp();
    const hash = await bcrypt.hash(PASSWORD, COST);
    const order: number[] = [];
    let most = 0;
    const checks = Array.from({ length: 8 }, (_, i) => {
      const check = i % 3 === 2 ? passwords.verifyAgainstDummy(PASSWORD).then(() => 'dummy') : passwords.verify(i % 3 === 0 ? PASSWORD : 'wrong password', hash);
      return check.then((result) => {
        most = Math.max(most, passwords.inFlight);
        order.push(i);
        return result;
      });
    });
    expect([passwords.inFlight, passwords.queued]).toEqual([1, 7]);
    // Sample between completions too: a second bcrypt started early would show here.
    let sampling = true;
    const sample = (): void => {
      most = Math.max(most, passwords.inFlight);
      if (sampling) setImmediate(sample);
    };
    sample();
    const results = await Promise.all(checks);
    sampling = false;

    expect(results).toEqual([true, false, 'dummy', true, false, 'dummy', true, false]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(1);
    expect([passwords.inFlight, passwords.queued]).toEqual([0, 0]);
  });

  it('queues an unknown email exactly where a wrong password would be', async () => {
    const passwords = new PasswordService({ cost: COST, concurrency: 1 });
    const hash = await bcrypt.hash(PASSWORD, COST);
    const order: string[] = [];
    const done = [
      passwords.warmUp().then(() => order.push('warm-up')),
      passwords.verify('wrong password', hash).then(() => order.push('wrong')),
      passwords.verifyAgainstDummy('wrong password').then(() => order.push('unknown')),
      passwords.verify('wrong password', hash).then(() => order.push('wrong again')),
    ];
    expect([passwords.inFlight, passwords.queued]).toEqual([1, 3]);
    await Promise.all(done);
    expect(order).toEqual(['warm-up', 'wrong', 'unknown', 'wrong again']);
  });

  it('runs up to the limit at once', async () => {
    const passwords = new PasswordService({ cost: COST, concurrency: 2 });
    const hash = await bcrypt.hash(PASSWORD, COST);
    const work = Promise.all([passwords.verify(PASSWORD, hash), passwords.verify('wrong password', hash), passwords.hash(PASSWORD)]);
    expect([passwords.inFlight, passwords.queued]).toEqual([2, 1]);
    const [ok, wrong, fresh] = await work;
    expect([ok, wrong]).toEqual([true, false]);
    expect(await bcrypt.compare(PASSWORD, fresh)).toBe(true);
    expect([passwords.inFlight, passwords.queued]).toEqual([0, 0]);
  });

  it('refuses a concurrency below 1', () => {
    expect(() => new PasswordService({ cost: COST, concurrency: 0 })).toThrow(RangeError);
  });
});

describe('AUTH_BCRYPT_CONCURRENCY', () => {
  it.each(['0', '-1', 'two'])('rejects %s', (value) => {
    expect(() => loadConfig(AuthEnvSchema, { AUTH_BCRYPT_CONCURRENCY: value })).toThrow(ConfigError);
    expect(() => loadConfig(AuthEnvSchema, { AUTH_BCRYPT_CONCURRENCY: value })).toThrow(/AUTH_BCRYPT_CONCURRENCY/);
  });

  it('takes a positive integer, and by default leaves one core to the event loop', () => {
    expect(toAuthSettings(loadConfig(AuthEnvSchema, { AUTH_BCRYPT_CONCURRENCY: '3' })).bcryptConcurrency).toBe(3);
    expect(toAuthSettings(loadConfig(AuthEnvSchema, {})).bcryptConcurrency).toBe(Math.max(1, availableParallelism() - 1));
  });
});

describe('logins through one bcrypt slot (embedded)', () => {
  it('answers every concurrent login, known, wrong and unknown alike', async () => {
    const h = await startAuth('embedded', { bcryptConcurrency: 1 });
    try {
      const { email } = await register(h.app);
      const attempts: Array<[string, string, number]> = [
        [email, PASSWORD, 200],
        [email, 'wrong password', 401],
        [uniqueEmail(), PASSWORD, 401],
        [email, PASSWORD, 200],
        [uniqueEmail(), 'wrong password', 401],
        [email, 'wrong password', 401],
      ];
      const statuses = await Promise.all(attempts.map(([e, password]) => h.app.inject({ method: 'POST', url: '/auth/login', payload: { email: e, password } }).then((r) => r.statusCode)));
      expect(statuses).toEqual(attempts.map(([, , status]) => status));
    } finally {
      await h.close();
    }
  });
});

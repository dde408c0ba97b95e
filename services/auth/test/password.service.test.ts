import { readdirSync, readFileSync } from 'node:fs';
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

  // Linux keeps a nice value per thread (/proc/self/task/<tid>/stat, field 19).
  const niceOfThreads = (): number[] =>
    readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
  const mainThreadNice = (): number => {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };

  it.runIf(process.platform === 'linux')('hashes on threads of their own at the configured nice value, the event loop untouched', async () => {
    const before = mainThreadNice();
    const passwords = new PasswordService({ cost: COST, concurrency: 2, nice: 7 });
    const threads = niceOfThreads().filter((n) => n === 7).length;
    try {
      const [hash] = await Promise.all([passwords.hash(PASSWORD), passwords.hash(PASSWORD)]);
      expect(await passwords.verify(PASSWORD, hash)).toBe(true);
      expect(niceOfThreads().filter((n) => n === 7).length).toBe(threads + 2);
      expect(mainThreadNice()).toBe(before);
    } finally {
      await passwords.close();
    }
    expect(niceOfThreads().filter((n) => n === 7).length).toBe(threads);
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

  it('takes AUTH_BCRYPT_NICE from 0 to 19, default 10', () => {
    expect(toAuthSettings(loadConfig(AuthEnvSchema, {})).bcryptNice).toBe(10);
    expect(toAuthSettings(loadConfig(AuthEnvSchema, { AUTH_BCRYPT_NICE: '0' })).bcryptNice).toBe(0);
    for (const value of ['-1', '20', 'low']) expect(() => loadConfig(AuthEnvSchema, { AUTH_BCRYPT_NICE: value })).toThrow(/AUTH_BCRYPT_NICE/);
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

import { createHash } from 'node:crypto';
import { AppError } from '@realchat/errors';
import { clientKey } from '@realchat/http';
import { createRateLimiter, type KeyValueStore, type RateLimitDecision } from '@realchat/store';
import type { AuthSettings } from '../config.js';

const FAILURE_WINDOW_MS = 15 * 60_000;

// Emails and addresses never reach the shared store in clear.
export const throttleKey = (...parts: string[]): string => createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);

/**
 * Login limits, checked before any hash is computed: attempts per IP, failures per account and IP,
 * and failures per account from everywhere (which slows a distributed guessing attack down).
 */
export class LoginThrottle {
  readonly #perIp;
  readonly #perAccountAndIp;
  readonly #perAccount;

  constructor(store: KeyValueStore, settings: AuthSettings) {
    this.#perIp = createRateLimiter(store, { limit: settings.loginIpLimitPerMinute, windowMs: 60_000, prefix: 'auth:login:ip:' });
    this.#perAccountAndIp = createRateLimiter(store, { limit: settings.loginFailureLimit, windowMs: FAILURE_WINDOW_MS, prefix: 'auth:login:fail:' });
    this.#perAccount = createRateLimiter(store, { limit: settings.loginAccountFailureLimit, windowMs: FAILURE_WINDOW_MS, prefix: 'auth:login:acct:' });
  }

  /** Counts the attempt against the IP and throws RATE_LIMITED when any limit is reached. */
  async admit(ip: string, email: string): Promise<void> {
    const [ip_, pair, account] = await Promise.all([
      this.#perIp.hit(throttleKey(clientKey(ip))),
      this.#perAccountAndIp.peek(throttleKey(email, ip)),
      this.#perAccount.peek(throttleKey(email)),
    ]);
    const blocking = [ip_.allowed ? undefined : ip_, pair.remaining > 0 ? undefined : pair, account.remaining > 0 ? undefined : account].filter(
      (d): d is RateLimitDecision => d !== undefined,
    );
    if (blocking.length > 0) {
      const retryAfter = Math.max(1, Math.ceil(Math.max(...blocking.map((d) => d.resetMs)) / 1000));
      throw new AppError('RATE_LIMITED', 'too many login attempts; retry later', { headers: { 'retry-after': String(retryAfter) } });
    }
  }

  async recordFailure(ip: string, email: string): Promise<void> {
    await Promise.all([this.#perAccountAndIp.hit(throttleKey(email, ip)), this.#perAccount.hit(throttleKey(email))]);
  }

  async recordSuccess(ip: string, email: string): Promise<void> {
    await this.#perAccountAndIp.reset(throttleKey(email, ip));
  }
}

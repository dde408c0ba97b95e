import { createHash } from 'node:crypto';
import type { Clock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import { clientKey } from '@realchat/http';
import { createRateLimiter, type KeyValueStore, type RateLimitDecision } from '@realchat/store';
import type { AuthSettings } from '../config.js';

const FAILURE_WINDOW_MS = 15 * 60_000;

// Emails and addresses never reach the shared store in clear.
export const throttleKey = (...parts: string[]): string => createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);

/** A device that signed in to the account before (a valid device cookie for it). */
export interface KnownDevice {
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * Login limits, checked before any hash is computed: attempts per IP, failures per account and IP,
 * and failures per account from everywhere (which slows a distributed guessing attack down). A
 * known device of the account counts against its own per-device limit instead of the two account
 * limits, so strangers failing on an account cannot lock its owner out (OWASP device cookies).
 */
export class LoginThrottle {
  readonly #perIp;
  readonly #perAccountAndIp;
  readonly #perAccount;
  readonly #perDevice;

  constructor(store: KeyValueStore, settings: AuthSettings, clock: Clock) {
    this.#perIp = createRateLimiter(store, { limit: settings.loginIpLimitPerMinute, windowMs: 60_000, prefix: 'auth:login:ip:', clock });
    this.#perAccountAndIp = createRateLimiter(store, { limit: settings.loginFailureLimit, windowMs: FAILURE_WINDOW_MS, prefix: 'auth:login:fail:', clock });
    this.#perAccount = createRateLimiter(store, { limit: settings.loginAccountFailureLimit, windowMs: FAILURE_WINDOW_MS, prefix: 'auth:login:acct:', clock });
    this.#perDevice = createRateLimiter(store, { limit: settings.loginDeviceFailureLimit, windowMs: FAILURE_WINDOW_MS, prefix: 'auth:login:dev:', clock });
  }

  /** Counts the attempt against the IP and throws RATE_LIMITED when any limit is reached. */
  async admit(ip: string, email: string, device?: KnownDevice): Promise<void> {
    const [ip_, ...failures] = await Promise.all([
      this.#perIp.hit(throttleKey(clientKey(ip))),
      ...(device === undefined
        ? [this.#perAccountAndIp.peek(throttleKey(email, ip)), this.#perAccount.peek(throttleKey(email))]
        : [this.#perDevice.peek(throttleKey(device.userId, device.deviceId))]),
    ]);
    const blocking = [ip_.allowed ? undefined : ip_, ...failures.map((d) => (d.remaining > 0 ? undefined : d))].filter(
      (d): d is RateLimitDecision => d !== undefined,
    );
    if (blocking.length > 0) {
      const retryAfter = Math.max(1, Math.ceil(Math.max(...blocking.map((d) => d.resetMs)) / 1000));
      throw new AppError('RATE_LIMITED', 'too many login attempts; retry later', { headers: { 'retry-after': String(retryAfter) } });
    }
  }

  async recordFailure(ip: string, email: string, device?: KnownDevice): Promise<void> {
    if (device !== undefined) await this.#perDevice.hit(throttleKey(device.userId, device.deviceId));
    else await Promise.all([this.#perAccountAndIp.hit(throttleKey(email, ip)), this.#perAccount.hit(throttleKey(email))]);
  }

  async recordSuccess(ip: string, email: string, device?: KnownDevice): Promise<void> {
    await (device === undefined ? this.#perAccountAndIp.reset(throttleKey(email, ip)) : this.#perDevice.reset(throttleKey(device.userId, device.deviceId)));
  }
}

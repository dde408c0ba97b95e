import type { Clock } from '@realchat/clock';
import { AppError } from '@realchat/errors';
import { clientKey } from '@realchat/http';
import { createRateLimiter, type KeyValueStore } from '@realchat/store';
import type { AuthSettings } from '../config.js';
import { throttleKey } from './login-throttle.js';

/**
 * Registration attempts per IP, checked before the password is hashed: each registration costs a
 * bcrypt hash in the queue logins wait in, so an unthrottled flood would starve them. On the
 * shared store, so the limit holds across instances.
 */
export class RegisterThrottle {
  readonly #perIp;

  constructor(store: KeyValueStore, settings: Pick<AuthSettings, 'registerIpLimitPerMinute'>, clock: Clock) {
    this.#perIp = createRateLimiter(store, { limit: settings.registerIpLimitPerMinute, windowMs: 60_000, prefix: 'auth:register:ip:', clock });
  }

  /** Counts the attempt and throws RATE_LIMITED (with Retry-After) once the IP is over its limit. */
  async admit(ip: string): Promise<void> {
    const decision = await this.#perIp.hit(throttleKey(clientKey(ip)));
    if (!decision.allowed) {
      const retryAfter = Math.max(1, Math.ceil(decision.resetMs / 1000));
      throw new AppError('RATE_LIMITED', 'too many registrations from this address; retry later', { headers: { 'retry-after': String(retryAfter) } });
    }
  }
}

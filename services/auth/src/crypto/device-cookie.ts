import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './tokens.js';

const DEVICE_ID = /^[A-Za-z0-9_-]{22}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

/**
 * OWASP "device cookies": proof that this browser signed in to an account before, as
 * `<device id>.<HMAC(key, user id, device id)>`. The user id is not in the cookie (it names no
 * account to whoever reads it); it is supplied when checking, so a cookie only counts for the
 * account it was issued for.
 */
export class DeviceCookies {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** A cookie binding `userId` to `deviceId`, or to a new device id. */
  issue(userId: string, deviceId: string = randomBytes(16).toString('base64url')): string {
    return `${deviceId}.${this.#mac(userId, deviceId)}`;
  }

  /** The device id when `cookie` was issued for `userId` by this key; otherwise undefined. */
  deviceOf(cookie: string | undefined, userId: string): string | undefined {
    if (cookie === undefined) return undefined;
    const [deviceId, mac, extra] = cookie.split('.');
    if (deviceId === undefined || mac === undefined || extra !== undefined || !DEVICE_ID.test(deviceId) || !MAC.test(mac)) return undefined;
    return constantTimeEqual(Buffer.from(mac), Buffer.from(this.#mac(userId, deviceId))) ? deviceId : undefined;
  }

  #mac(userId: string, deviceId: string): string {
    return createHmac('sha256', this.#key).update(`${userId}\n${deviceId}`).digest('base64url');
  }
}

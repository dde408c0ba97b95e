import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, register, startAuth, variants, type Harness } from './harness.js';

const DEVICE = 'realchat_device';

/**
 * Regression (outside review): 20 wrong passwords from a few addresses locked an account for about
 * 14 minutes, for its owner too. A browser that signed in to the account before (device cookie)
 * is now held to its own per-device limit instead of the account lock.
 */
describe.each(variants)('device cookies against account lockout (%s)', (variant) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAuth(variant, { loginFailureLimit: 3, loginAccountFailureLimit: 6, loginDeviceFailureLimit: 4 });
  });
  afterAll(() => h.close());

  const attempt = (email: string, password: string, remoteAddress: string, device?: string) =>
    h.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password }, remoteAddress, ...(device === undefined ? {} : { cookies: { [DEVICE]: device } }) });
  const deviceCookieOf = (res: Awaited<ReturnType<typeof attempt>>) => res.cookies.find((c) => c.name === DEVICE);
  /** Strangers on several addresses exhaust the account limit. */
  const lockOut = async (email: string): Promise<void> => {
    for (let i = 0; i < 6; i++) expect((await attempt(email, 'wrong horse battery', `203.0.113.${10 + Math.floor(i / 3)}`)).statusCode).toBe(401);
    expect((await attempt(email, PASSWORD, '198.51.100.50')).statusCode).toBe(429);
  };

  it('sets a signed, HttpOnly, Secure, SameSite=Strict device cookie on the login route at each login', async () => {
    const user = await register(h.app);
    const res = await attempt(user.email, PASSWORD, '198.51.100.1');
    expect(res.statusCode).toBe(200);
    const cookie = deviceCookieOf(res);
    expect(cookie).toMatchObject({ path: '/auth/login', httpOnly: true, secure: true, sameSite: 'Strict', maxAge: 180 * 86_400 });
    expect(cookie?.value).not.toContain(user.id);
    // Renewed with the same device id.
    const again = deviceCookieOf(await attempt(user.email, PASSWORD, '198.51.100.1', cookie?.value));
    expect(again?.value).toBe(cookie?.value);
  });

  it("lets the owner's known browser in while strangers have locked the account, and limits that browser on its own", async () => {
    const user = await register(h.app);
    const device = deviceCookieOf(await attempt(user.email, PASSWORD, '198.51.100.2'))!.value;
    await lockOut(user.email);
    // The owner, from any address, with the device cookie.
    expect((await attempt(user.email, PASSWORD, '192.0.2.77', device)).statusCode).toBe(200);
    // Failures with the cookie count against the device, not the account: 4 are allowed, then 429.
    for (let i = 0; i < 4; i++) expect((await attempt(user.email, 'wrong horse battery', '192.0.2.77', device)).statusCode).toBe(401);
    const limited = await attempt(user.email, PASSWORD, '192.0.2.77', device);
    expect([limited.statusCode, limited.json().code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The sliding window (two fixed windows of 15 minutes) passes by the injected clock: let in again.
    h.clock.advance(30 * 60_000 + 1);
    expect((await attempt(user.email, PASSWORD, '192.0.2.77', device)).statusCode).toBe(200);
  });

  it("gives nothing to a cookie of another account, a forged one, or none: the account lock applies", async () => {
    const user = await register(h.app);
    const other = await register(h.app);
    const ownDevice = deviceCookieOf(await attempt(user.email, PASSWORD, '198.51.100.3'))!.value;
    const otherDevice = deviceCookieOf(await attempt(other.email, PASSWORD, '198.51.100.3'))!.value;
    await lockOut(user.email);
    const [id] = ownDevice.split('.');
    for (const cookie of [otherDevice, `${id}.${'A'.repeat(43)}`, 'garbage', undefined]) {
      expect({ cookie, status: (await attempt(user.email, PASSWORD, '192.0.2.88', cookie)).statusCode }).toEqual({ cookie, status: 429 });
    }
    expect((await attempt(user.email, PASSWORD, '192.0.2.88', ownDevice)).statusCode).toBe(200);
  });
});

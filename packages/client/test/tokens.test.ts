import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { broadcastTokenShare, memoryTokenShare, processRefreshLock, type BroadcastChannelConstructor, type RealChat, type TokenShare } from '../src/index.js';
import { client, cookieJarFetch, recordingFetch, signUp, startSystem, type RefreshLog, type TestSystem } from './harness.js';

/** The access token's lifetime (auth's default, 15 minutes). */
const TTL_MS = 15 * 60_000;
/** Far enough past the expiry that the verifiers' clock tolerance (5 s) no longer covers it. */
const PAST_EXPIRY_MS = TTL_MS + 60_000;

describe('tokens: refresh before expiry and on a refused token, single flight, shared between clients', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system?.close();
  });

  const me = async (rc: ReturnType<typeof client>): Promise<number> => (await rc.api.GET('/auth/me')).response.status;

  it('50 concurrent calls across an expiry (client clock moving with the server) cause exactly one refresh', async () => {
    const log: RefreshLog = { presented: [] };
    const rc = client(system, { fetch: recordingFetch(log) });
    await signUp(rc);
    const before = Array.from({ length: 25 }, () => me(rc));
    // Past the expiry: the refresh timer fires on the way, calls already sent meet an expired token.
    system.clock.advance(PAST_EXPIRY_MS);
    const after = Array.from({ length: 25 }, () => me(rc));
    expect(await Promise.all([...before, ...after])).toEqual(Array(50).fill(200));
    expect(log.presented).toHaveLength(1);
    rc.close();
  });

  it('50 concurrent calls with a token the server says expired (client clock behind) cause exactly one refresh, each retried once', async () => {
    const log: RefreshLog = { presented: [] };
    let refused = 0;
    const rc = client(system, {
      // The client's clock stays put: it believes its token valid until the server refuses it.
      clock: new ManualClock(Date.now()),
      fetch: recordingFetch(log, async (request) => {
        const response = await fetch(request);
        if (response.status === 401) refused++;
        return response;
      }),
    });
    await signUp(rc);
    system.clock.advance(PAST_EXPIRY_MS);
    expect(await Promise.all(Array.from({ length: 50 }, () => me(rc)))).toEqual(Array(50).fill(200));
    expect(log.presented).toHaveLength(1);
    expect(refused).toBe(50);
    rc.close();
  });

  it('a refused call with a body is retried with the same body', async () => {
    const rc = client(system, { clock: new ManualClock(Date.now()) });
    await signUp(rc, 'Before');
    system.clock.advance(PAST_EXPIRY_MS);
    const renamed = await rc.api.PATCH('/auth/me', { body: { displayName: 'After' } });
    expect(renamed.response.status).toBe(200);
    expect(renamed.data?.displayName).toBe('After');
    rc.close();
  });

  it('a call refused twice is not retried again: the second 401 is the answer', async () => {
    let calls = 0;
    const rc = client(system, {
      fetch: async (request) => {
        if (new URL(request.url).pathname === '/auth/me') calls++;
        return fetch(request);
      },
    });
    await signUp(rc);
    const token = rc.session.accessToken;
    // The whole session revoked elsewhere: the refresh is refused too, the client signs out.
    const signedOut = new Promise((resolve) => rc.session.on('signedOut', resolve));
    expect((await fetch(`${system.base}/auth/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
    expect(await me(rc)).toBe(401);
    expect(calls).toBe(1);
    expect(await signedOut).toEqual({ reason: 'refresh-refused' });
    expect(rc.session.signedIn).toBe(false);
    rc.close();
  });

  it('two clients sharing one lock and one token share (Node) spend each refresh token once, one refresh per expiry', async () => {
    const log: RefreshLog = { presented: [] };
    const [lock, share] = [processRefreshLock(), memoryTokenShare()];
    const a = client(system, { fetch: recordingFetch(log), lock, share });
    await signUp(a);
    const b = client(system, { fetch: recordingFetch(log), lock, share });
    expect(b.session.accessToken).toBe(a.session.accessToken);
    for (let round = 1; round <= 3; round++) {
      system.clock.advance(PAST_EXPIRY_MS);
      const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => me(i % 2 === 0 ? a : b)));
      expect(statuses).toEqual(Array(10).fill(200));
      expect(log.presented).toHaveLength(round);
    }
    expect(new Set(log.presented).size).toBe(log.presented.length);
    expect(b.session.accessToken).toBe(a.session.accessToken);
    a.close();
    b.close();
  });

  it('two tabs of one browser (cookie transport, one cookie jar, one lock, a BroadcastChannel each) never present one refresh token twice', async () => {
    const log: RefreshLog = { presented: [] };
    const jar = cookieJarFetch(recordingFetch(log));
    const lock = processRefreshLock();
    const Channel = BroadcastChannel as unknown as BroadcastChannelConstructor;
    const channel = `tabs-${Date.now()}`;
    const shares = [broadcastTokenShare(channel, Channel), broadcastTokenShare(channel, Channel)] as const;
    const tab = (share: TokenShare): RealChat => client(system, { fetch: jar, lock, share, transport: 'cookie' });
    const [a, b] = [tab(shares[0]), tab(shares[1])];
    await signUp(a);
    // The other tab hears of the sign-in over its channel (no refresh token in it: the browser holds that).
    await expect.poll(() => b.session.accessToken).toBe(a.session.accessToken);
    for (let round = 1; round <= 3; round++) {
      system.clock.advance(PAST_EXPIRY_MS);
      const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => me(i % 2 === 0 ? a : b)));
      expect(statuses).toEqual(Array(10).fill(200));
    }
    expect(log.presented.length).toBeGreaterThanOrEqual(3);
    expect(new Set(log.presented).size).toBe(log.presented.length);
    // Still one live session: a reused token would have revoked it (refresh-token reuse detection).
    const sessions = await a.api.GET('/auth/sessions', {});
    expect(sessions.data?.items).toHaveLength(1);
    a.close();
    b.close();
    for (const share of shares) share.close();
  });

  it('a page load restores the session from the refresh cookie; without one, restore says signed out', async () => {
    const jar = cookieJarFetch();
    const first = client(system, { fetch: jar, transport: 'cookie' });
    await signUp(first);
    first.close();
    const reloaded = client(system, { fetch: jar, transport: 'cookie' });
    expect(reloaded.session.signedIn).toBe(false);
    expect(await reloaded.restore()).toBe(true);
    expect(await me(reloaded)).toBe(200);
    const stranger = client(system, { fetch: cookieJarFetch(), transport: 'cookie' });
    expect(await stranger.restore()).toBe(false);
    expect(await me(stranger)).toBe(401);
    reloaded.close();
    stranger.close();
  });
});

import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { createEvent, type EventEnvelope } from '@realchat/contracts';
import { createRevocationList, subscribeRevocations, type RevocationEventSource } from '../src/index.js';

const sid = (n: number): string => `00000000-0000-7000-8000-${n.toString().padStart(12, '0')}`;
const USER = '00000000-0000-7000-8000-999999999999';

describe('createRevocationList', () => {
  it('rejects a session until its last token expires, plus the tolerance, and then forgets it', () => {
    const clock = new ManualClock();
    const list = createRevocationList({ clock, toleranceMs: 5_000 });
    list.revoke(sid(1), new Date(clock.now().getTime() + 10_000));
    expect(list.isRevoked(sid(1))).toBe(true);
    clock.advance(14_999);
    expect(list.isRevoked(sid(1))).toBe(true);
    clock.advance(1);
    expect(list.isRevoked(sid(1))).toBe(false);
    expect(list.size()).toBe(0);
  });

  it('keeps 60 s of tolerance by default and ignores revocations already past it', () => {
    const clock = new ManualClock();
    const list = createRevocationList({ clock });
    list.revoke(sid(1), new Date(clock.now().getTime() - 59_000));
    list.revoke(sid(2), new Date(clock.now().getTime() - 60_000));
    expect(list.isRevoked(sid(1))).toBe(true);
    expect(list.isRevoked(sid(2))).toBe(false);
    expect(list.size()).toBe(1);
  });

  it('never shortens an entry when the same session is revoked again', () => {
    const clock = new ManualClock();
    const list = createRevocationList({ clock, toleranceMs: 0 });
    const now = clock.now().getTime();
    list.revoke(sid(1), new Date(now + 20_000));
    list.revoke(sid(1), new Date(now + 5_000));
    clock.advance(10_000);
    expect(list.isRevoked(sid(1))).toBe(true);
  });

  it('stays within maxEntries: expired entries go first, then the one ending soonest', () => {
    const clock = new ManualClock();
    const list = createRevocationList({ clock, toleranceMs: 0, maxEntries: 3 });
    const now = clock.now().getTime();
    list.revoke(sid(1), new Date(now + 1_000));
    list.revoke(sid(2), new Date(now + 30_000));
    list.revoke(sid(3), new Date(now + 20_000));
    clock.advance(2_000);
    // sid 1 has expired: it makes room, the others stay.
    list.revoke(sid(4), new Date(now + 40_000));
    expect([2, 3, 4].map((n) => list.isRevoked(sid(n)))).toEqual([true, true, true]);
    // Full of live entries: sid 3 ends soonest and is evicted.
    list.revoke(sid(5), new Date(now + 50_000));
    expect([2, 3, 4, 5].map((n) => list.isRevoked(sid(n)))).toEqual([true, false, true, true]);
    expect(list.size()).toBe(3);
    for (let n = 10; n < 100; n++) list.revoke(sid(n), new Date(now + 60_000 + n));
    expect(list.size()).toBe(3);
  });

  it('keeps revoked clients apart from sessions, with the same expiry and bound', () => {
    const clock = new ManualClock();
    const list = createRevocationList({ clock, toleranceMs: 0, maxEntries: 2 });
    const now = clock.now().getTime();
    list.revokeClient('svc_a', new Date(now + 10_000));
    expect([list.isClientRevoked('svc_a'), list.isRevoked('svc_a')]).toEqual([true, false]);
    list.revoke(sid(1), new Date(now + 10_000));
    expect(list.isClientRevoked(sid(1))).toBe(false);
    list.revokeClient('svc_b', new Date(now + 20_000));
    list.revokeClient('svc_c', new Date(now + 30_000));
    // Full: svc_a ends soonest and goes; the session list is not touched.
    expect(['svc_a', 'svc_b', 'svc_c'].map((c) => list.isClientRevoked(c))).toEqual([false, true, true]);
    expect(list.isRevoked(sid(1))).toBe(true);
    expect(list.size()).toBe(3);
    clock.advance(30_000);
    expect(list.isClientRevoked('svc_c')).toBe(false);
    expect(list.size()).toBe(0);
  });

  it('refuses a maxEntries below 1', () => {
    expect(() => createRevocationList({ maxEntries: 0 })).toThrow(RangeError);
  });
});

describe('subscribeRevocations', () => {
  /** A revocation list subscribed through a stub source whose handler the test calls directly (malformed events included). */
  const subscribed = async (options: { since?: Date } = {}) => {
    const clock = new ManualClock();
    const list = createRevocationList({ clock });
    const warn = vi.fn();
    let handler: ((event: EventEnvelope) => Promise<void>) | undefined;
    const subscribe = vi.fn<RevocationEventSource['subscribe']>(async (subscription) => {
      handler = subscription.handler;
      return { unsubscribe: async () => undefined };
    });
    await subscribeRevocations({ subscribe }, list, { ...options, logger: { warn } });
    return { clock, list, warn, subscribe, deliver: (event: unknown) => handler!(event as EventEnvelope) };
  };

  it('feeds valid session.revoked events into the list, from `since`', async () => {
    const since = new Date(Date.now() - 900_000);
    const { clock, list, subscribe, deliver } = await subscribed({ since });
    expect(subscribe).toHaveBeenCalledWith(expect.objectContaining({ types: ['session.revoked', 'client.revoked', 'token.revoked'], since }));
    const event = createEvent(
      'session.revoked',
      { sessionId: sid(1), userId: USER, accessTokenExpiresAt: new Date(clock.now().getTime() + 60_000).toISOString(), reason: 'logout' },
      { producer: 'auth', occurredAt: clock.now() },
    );
    await deliver(event);
    expect(list.isRevoked(sid(1))).toBe(true);
  });

  it('drops malformed events with a warning instead of failing (and so retrying) them', async () => {
    const { clock, list, warn, deliver } = await subscribed();
    const good = createEvent(
      'session.revoked',
      { sessionId: sid(2), userId: USER, accessTokenExpiresAt: new Date(clock.now().getTime() + 60_000).toISOString(), reason: 'logout' },
      { producer: 'auth', occurredAt: clock.now() },
    );
    const malformed = [
      { ...good, data: { ...good.data, sessionId: 'not-a-uuid' } },
      { ...good, data: { userId: USER } },
      { ...good, data: { ...good.data, accessTokenExpiresAt: 'tomorrow' } },
      { id: good.id, type: 'session.revoked' },
    ];
    for (const event of malformed) await expect(deliver(event)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(malformed.length);
    expect(list.size()).toBe(0);
    // Another version of the event is not this consumer's to interpret.
    await deliver({ ...good, version: 2 });
    expect(list.size()).toBe(0);
  });

  it('feeds valid client.revoked events into the list', async () => {
    const { clock, list, deliver } = await subscribed();
    const event = createEvent(
      'client.revoked',
      { clientId: 'svc_x', accessTokenExpiresAt: new Date(clock.now().getTime() + 60_000).toISOString() },
      { producer: 'auth', occurredAt: clock.now() },
    );
    await deliver(event);
    expect([list.isClientRevoked('svc_x'), list.isRevoked('svc_x')]).toEqual([true, false]);
  });

  it('feeds valid token.revoked events into the list', async () => {
    const { clock, list, deliver } = await subscribed();
    const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
    await deliver(createEvent('token.revoked', { jti: 'jti-1', expiresAt }, { producer: 'auth', occurredAt: clock.now() }));
    expect([list.isTokenRevoked('jti-1'), list.isClientRevoked('jti-1'), list.isTokenRevoked('jti-2')]).toEqual([true, false, false]);
    await deliver({ ...createEvent('token.revoked', { jti: 'jti-3', expiresAt }, { producer: 'auth', occurredAt: clock.now() }), data: { jti: '', expiresAt } });
    expect(list.isTokenRevoked('')).toBe(false);
  });

  it('drops malformed client.revoked events with a warning', async () => {
    const { clock, list, warn, deliver } = await subscribed();
    const good = createEvent(
      'client.revoked',
      { clientId: 'svc_y', accessTokenExpiresAt: new Date(clock.now().getTime() + 60_000).toISOString() },
      { producer: 'auth', occurredAt: clock.now() },
    );
    const malformed = [
      { ...good, data: { ...good.data, clientId: '' } },
      { ...good, data: { clientId: 'svc_y' } },
      { ...good, data: { ...good.data, accessTokenExpiresAt: 'soon' } },
      { ...good, data: { ...good.data, sessionId: 'extra' } },
      { id: good.id, type: 'client.revoked' },
    ];
    for (const event of malformed) await expect(deliver(event)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(malformed.length);
    expect(warn).toHaveBeenLastCalledWith(expect.objectContaining({ eventId: good.id, type: 'client.revoked' }), expect.any(String));
    expect(list.size()).toBe(0);
    await deliver({ ...good, version: 2 });
    expect(list.size()).toBe(0);
  });
});

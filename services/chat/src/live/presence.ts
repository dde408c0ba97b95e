import type { LiveChannel } from '@realchat/bus';
import type { Clock, TimerHandle } from '@realchat/clock';
import { applyInstanceNews, instanceNews } from '@realchat/live-socket';
import type { Logger } from '@realchat/logging';
import type { KeyValueStore } from '@realchat/store';
import type { LiveFrame, LiveHub, People } from '../domain/types.js';

export type PresenceFrame = Extract<LiveFrame, { type: 'presence' }>;

const KEY = 'chat:presence:';
const instanceKey = (instanceId: string): string => `${KEY}instance:${instanceId}`;
const userKey = (userId: string, instanceId: string): string => `${KEY}user:${userId}:${instanceId}`;
const seenKey = (userId: string): string => `${KEY}seen:${userId}`;
/** A user's mark on an instance, kept three times longer: the survivors read it to tell the friends when that instance dies. */
const wasKey = (instanceId: string, userId: string): string => `${KEY}was:${instanceId}:${userId}`;
const reapedKey = (instanceId: string): string => `${KEY}reaped:${instanceId}`;
/** Where instances say they start and stop, so the others count their users at once (not at their next heartbeat). */
const INSTANCES_SUBJECT = 'chat.instances';
/** Last seen is kept long after the user went away, not forever. */
const SEEN_TTL_MS = 90 * 24 * 3600_000;

export interface PresenceOptions {
  readonly store: KeyValueStore;
  readonly clock: Clock;
  readonly hub: LiveHub;
  readonly channel: LiveChannel;
  readonly people: People;
  readonly logger: Logger;
  /** This instance's id (the hub's). */
  readonly instanceId: string;
  /** A user's mark on an instance lives this long without a heartbeat (heartbeats every third of it). */
  readonly ttlMs: number;
}

/**
 * Online status across devices and instances. Each instance counts its own sockets per user in
 * memory and keeps, in the store, one key per (user, instance) with a TTL that its heartbeat
 * renews: a user is online while any instance holds such a key, so a killed instance's users go
 * offline after the TTL. An instance writes its own key before looking at the others' and
 * removes it before looking again, so two instances racing always end on the right status.
 * Friends hear of each change (`presence` frames); last seen is kept.
 */
export class Presence {
  readonly #o: PresenceOptions;
  /** Open authenticated sockets per user on this instance. */
  readonly #local = new Map<string, number>();
  /** Per user, the transition under way: one at a time, in order. */
  readonly #chains = new Map<string, Promise<void>>();
  /** The other live instances, as of the last heartbeat. */
  #others = new Set<string>();
  #timer: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: PresenceOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const { channel, instanceId } = this.#o;
    this.#unsubscribe = channel.subscribe(INSTANCES_SUBJECT, (payload) => applyInstanceNews(payload, this.#o.instanceId, this.#others));
    await this.#beat();
    channel.publish(INSTANCES_SUBJECT, instanceNews({ instanceId, up: true }));
    this.#timer = this.#o.clock.setInterval(() => void this.#beat(), Math.max(1, Math.floor(this.#o.ttlMs / 3)), { unref: true });
  }

  /** Stops the heartbeat and removes this instance's marks (its sockets are closed by then). */
  async stop(): Promise<void> {
    this.#timer?.clear();
    this.#timer = undefined;
    this.#unsubscribe?.();
    await Promise.all(this.#chains.values());
    const { store, instanceId, channel } = this.#o;
    channel.publish(INSTANCES_SUBJECT, instanceNews({ instanceId, up: false }));
    await Promise.all([...this.#local.keys()].flatMap((userId) => [store.del(userKey(userId, instanceId)), store.del(wasKey(instanceId, userId))])).catch(() => undefined);
    await store.del(instanceKey(instanceId)).catch(() => undefined);
  }

  /** A socket of `userId` authenticated here. Never throws. */
  connected(userId: string): Promise<void> {
    const count = (this.#local.get(userId) ?? 0) + 1;
    this.#local.set(userId, count);
    if (count > 1) return Promise.resolve();
    return this.#serially(userId, async () => {
      if ((this.#local.get(userId) ?? 0) === 0) return;
      const now = this.#o.clock.now().toISOString();
      await this.#mark(userId, now);
      if (await this.#elsewhere(userId)) return;
      await this.#tellFriends({ type: 'presence', userId, status: 'online', lastSeenAt: now });
    });
  }

  /** A socket of `userId` that had authenticated here closed. Never throws. */
  disconnected(userId: string): Promise<void> {
    const count = (this.#local.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.#local.set(userId, count);
      return Promise.resolve();
    }
    this.#local.delete(userId);
    return this.#serially(userId, async () => {
      if (this.#local.has(userId)) return;
      const { store, instanceId, clock } = this.#o;
      const now = clock.now().toISOString();
      await store.set(seenKey(userId), now, SEEN_TTL_MS);
      await Promise.all([store.del(userKey(userId, instanceId)), store.del(wasKey(instanceId, userId))]);
      if (await this.#elsewhere(userId)) return;
      await this.#tellFriends({ type: 'presence', userId, status: 'offline', lastSeenAt: now });
    });
  }

  /** `a` and `b` just became friends: each one online is shown online to the other at once. Never throws. */
  async befriended(a: string, b: string): Promise<void> {
    const show = async (userId: string, to: string): Promise<void> => {
      if (!(await this.#online(userId))) return;
      this.#o.hub.deliver([to], { type: 'presence', userId, status: 'online', lastSeenAt: await this.#o.store.get(seenKey(userId)) });
    };
    await Promise.all([show(a, b), show(b, a)]).catch((err: unknown) => this.#o.logger.warn({ err, a, b }, 'presence of new friends failed'));
  }

  /**
   * `a` and `b` are friends no more (an unfriend, or a block): each goes offline to the other now,
   * whatever they are, and with no last seen (no longer theirs to know); no frame follows.
   */
  parted(a: string, b: string): void {
    this.#o.hub.deliver([b], { type: 'presence', userId: a, status: 'offline', lastSeenAt: null });
    this.#o.hub.deliver([a], { type: 'presence', userId: b, status: 'offline', lastSeenAt: null });
  }

  /** `userId`'s friends online now, with their last seen (the `ready` snapshot). */
  async onlineFriends(userId: string): Promise<PresenceFrame[]> {
    const friends = await this.#o.people.friendIds(userId);
    const statuses = await Promise.all(
      friends.map(async (friend): Promise<PresenceFrame | undefined> => {
        if (!(await this.#online(friend))) return undefined;
        return { type: 'presence', userId: friend, status: 'online', lastSeenAt: await this.#o.store.get(seenKey(friend)) };
      }),
    );
    return statuses.filter((frame) => frame !== undefined);
  }

  async #online(userId: string): Promise<boolean> {
    return (this.#local.get(userId) ?? 0) > 0 || (await this.#elsewhere(userId));
  }

  async #elsewhere(userId: string): Promise<boolean> {
    const found = await Promise.all([...this.#others].map((instance) => this.#o.store.get(userKey(userId, instance))));
    return found.some((value) => value !== null);
  }

  async #mark(userId: string, now: string): Promise<void> {
    const { store, instanceId, ttlMs } = this.#o;
    await Promise.all([store.set(userKey(userId, instanceId), now, ttlMs), store.set(wasKey(instanceId, userId), now, 3 * ttlMs), store.set(seenKey(userId), now, SEEN_TTL_MS)]);
  }

  async #tellFriends(frame: PresenceFrame): Promise<void> {
    const friends = await this.#o.people.friendIds(frame.userId);
    this.#o.hub.deliver(friends, frame);
  }

  #serially(userId: string, work: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(userId) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((err: unknown) => this.#o.logger.warn({ err, userId }, 'presence update failed'))
      .finally(() => {
        if (this.#chains.get(userId) === next) this.#chains.delete(userId);
      });
    this.#chains.set(userId, next);
    return next;
  }

  /**
   * Renews this instance's marks, learns which other instances are alive, and tells the friends
   * of a vanished instance's users (one that died without saying so) that they went offline.
   */
  async #beat(): Promise<void> {
    const { store, instanceId, ttlMs, clock, logger } = this.#o;
    const now = clock.now().toISOString();
    try {
      await store.set(instanceKey(instanceId), now, ttlMs);
      const prefix = `${KEY}instance:`;
      const alive = new Set((await store.scan(prefix)).map((entry) => entry.key.slice(prefix.length)).filter((id) => id !== instanceId));
      const vanished = [...this.#others].filter((id) => !alive.has(id));
      this.#others = alive;
      await Promise.all([...this.#local.keys()].map((userId) => this.#mark(userId, now)));
      for (const dead of vanished) await this.#reap(dead);
    } catch (err) {
      logger.warn({ err }, 'presence heartbeat failed');
    }
  }

  /** The first survivor to notice tells the friends of each of `dead`'s users not online elsewhere. */
  async #reap(dead: string): Promise<void> {
    const { store, ttlMs } = this.#o;
    if ((await store.increment(reapedKey(dead), 3 * ttlMs)).value !== 1) return;
    const prefix = `${KEY}was:${dead}:`;
    for (const { key } of await store.scan(prefix)) {
      const userId = key.slice(prefix.length);
      await store.del(key);
      void this.#serially(userId, async () => {
        if (await this.#online(userId)) return;
        const lastSeenAt = await store.get(seenKey(userId));
        await this.#tellFriends({ type: 'presence', userId, status: 'offline', lastSeenAt });
      });
    }
  }
}

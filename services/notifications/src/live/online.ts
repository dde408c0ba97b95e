import type { LiveChannel } from '@realchat/bus';
import type { Clock, TimerHandle } from '@realchat/clock';
import { applyInstanceNews, instanceNews } from '@realchat/live-socket';
import type { Logger } from '@realchat/logging';
import type { KeyValueStore } from '@realchat/store';
import type { OnlineUsers } from '../domain/types.js';

const KEY = 'notifications:online:';
const instanceKey = (instanceId: string): string => `${KEY}instance:${instanceId}`;
const userKey = (userId: string, instanceId: string): string => `${KEY}user:${userId}:${instanceId}`;
/** Where instances say they start and stop, so the others look at their users at once, not at their next heartbeat. */
const INSTANCES_SUBJECT = 'notifications.instances';

export interface OnlineOptions {
  readonly store: KeyValueStore;
  readonly clock: Clock;
  readonly channel: LiveChannel;
  readonly logger: Logger;
  readonly instanceId: string;
  /** A mark lives this long without a heartbeat (heartbeats every third of it). */
  readonly ttlMs: number;
}

/**
 * Who has an open authenticated `/notifications/ws` socket on any instance. Each instance counts
 * its own sockets per user in memory and keeps one store key per (user, instance) with a TTL its
 * heartbeat renews; a killed instance's users count as offline once their keys expire.
 */
export class Online implements OnlineUsers {
  readonly #o: OnlineOptions;
  readonly #local = new Map<string, number>();
  /** The other live instances, as of the last heartbeat or announcement. */
  #others = new Set<string>();
  #timer: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: OnlineOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const { channel, instanceId, clock, ttlMs } = this.#o;
    this.#unsubscribe = channel.subscribe(INSTANCES_SUBJECT, (payload) => applyInstanceNews(payload, this.#o.instanceId, this.#others));
    await this.#beat();
    channel.publish(INSTANCES_SUBJECT, instanceNews({ instanceId, up: true }));
    this.#timer = clock.setInterval(() => void this.#beat(), Math.max(1, Math.floor(ttlMs / 3)), { unref: true });
  }

  async stop(): Promise<void> {
    this.#timer?.clear();
    this.#unsubscribe?.();
    const { store, instanceId, channel } = this.#o;
    channel.publish(INSTANCES_SUBJECT, instanceNews({ instanceId, up: false }));
    await Promise.all([...this.#local.keys()].map((userId) => store.del(userKey(userId, instanceId)))).catch(() => undefined);
    await store.del(instanceKey(instanceId)).catch(() => undefined);
  }

  /** A socket of `userId` authenticated here. Never throws. */
  async connected(userId: string): Promise<void> {
    const count = (this.#local.get(userId) ?? 0) + 1;
    this.#local.set(userId, count);
    if (count === 1) await this.#mark(userId);
  }

  /** A socket of `userId` that had authenticated here closed. Never throws. */
  async disconnected(userId: string): Promise<void> {
    const count = (this.#local.get(userId) ?? 0) - 1;
    if (count > 0) {
      this.#local.set(userId, count);
      return;
    }
    this.#local.delete(userId);
    await this.#o.store.del(userKey(userId, this.#o.instanceId)).catch((err: unknown) => this.#o.logger.warn({ err, userId }, 'online mark not removed'));
  }

  async isOnline(userId: string): Promise<boolean> {
    if ((this.#local.get(userId) ?? 0) > 0) return true;
    const found = await Promise.all([...this.#others].map((instance) => this.#o.store.get(userKey(userId, instance))));
    return found.some((value) => value !== null);
  }

  async #mark(userId: string): Promise<void> {
    const { store, instanceId, ttlMs, clock, logger } = this.#o;
    try {
      await store.set(userKey(userId, instanceId), clock.now().toISOString(), ttlMs);
      // The last socket closed while the mark was being written: its removal may have come first.
      if (!this.#local.has(userId)) await store.del(userKey(userId, instanceId));
    } catch (err) {
      logger.warn({ err, userId }, 'online mark not written');
    }
  }

  /** Renews this instance's marks and learns which other instances are alive. */
  async #beat(): Promise<void> {
    const { store, instanceId, ttlMs, clock, logger } = this.#o;
    try {
      await store.set(instanceKey(instanceId), clock.now().toISOString(), ttlMs);
      const prefix = `${KEY}instance:`;
      this.#others = new Set((await store.scan(prefix)).map((entry) => entry.key.slice(prefix.length)).filter((id) => id !== instanceId));
      await Promise.all([...this.#local.keys()].map((userId) => this.#mark(userId)));
    } catch (err) {
      logger.warn({ err }, 'online heartbeat failed');
    }
  }
}

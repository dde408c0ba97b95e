import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@realchat/contracts';
import type { Queryable } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { NotificationsContext } from '../context.js';
import type { Draft, LiveHub, Notification, NotificationType } from '../domain/types.js';
import { InboxRepository } from './inbox.repository.js';

/** What one event wrote, for the live push once its transaction committed. */
export interface Delivery {
  readonly notification: Notification;
  readonly recipientId: string;
  /** The recipient's unread count as of the write. */
  readonly unread: number;
}

/** Each user's notifications: written from events, read and managed over REST, pushed live. */
export class Inbox {
  readonly #context: NotificationsContext;
  readonly #hub: LiveHub;
  readonly #repo = new InboxRepository();

  constructor(context: NotificationsContext, hub: LiveHub) {
    this.#context = context;
    this.#hub = hub;
  }

  /**
   * Writes `event`'s drafts with `tx`: none to the actor (my own actions never notify me), none of
   * a type the recipient muted, and of the rest one per recipient (the first draft naming them).
   */
  async deliver(tx: Queryable, event: EventEnvelope, drafts: readonly Draft[]): Promise<Delivery[]> {
    const candidates = drafts.filter((d) => d.recipientId !== d.actorId);
    if (candidates.length === 0) return [];
    const muted = await this.#repo.mutedOf(tx, [...new Set(candidates.map((d) => d.recipientId))]);
    const chosen = new Map<string, Draft>();
    for (const draft of candidates) if (!chosen.has(draft.recipientId) && muted.get(draft.recipientId)?.has(draft.type) !== true) chosen.set(draft.recipientId, draft);
    const at = this.#context.clock.now();
    const out: Delivery[] = [];
    // In one order of recipients: two events for the same users never wait on each other's seq rows crosswise.
    for (const [recipientId, draft] of [...chosen].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const seq = await this.#repo.nextSeq(tx, recipientId);
      const notification = await this.#repo.write(tx, { id: randomUUID(), seq, draft, event, at });
      if (notification !== null) out.push({ notification, recipientId, unread: await this.#repo.unreadCount(tx, recipientId) });
    }
    return out;
  }

  /** Tells the recipients' sockets (every instance) of what `deliver` wrote. */
  announce(deliveries: readonly Delivery[]): void {
    for (const { recipientId, notification, unread } of deliveries) {
      this.#hub.deliver([recipientId], { type: 'notification.new', notification });
      this.#hub.deliver([recipientId], { type: 'unread', count: unread });
    }
  }

  /** Parks an event whose payload broke its contract, so the stream goes on. */
  async park(tx: Queryable, consumer: string, event: EventEnvelope, error: string): Promise<void> {
    await this.#repo.park(tx, { consumer, event, error, at: this.#context.clock.now() });
  }

  /** Newest first, below seq `before`; `take` rows (one more than a page, to tell whether another follows). */
  page(userId: string, before: number | undefined, take: number): Promise<Notification[]> {
    return this.#repo.page(this.#context.db, userId, before, take);
  }

  /** Oldest first, above seq `after` (resume). */
  after(userId: string, after: number, take: number): Promise<Notification[]> {
    return this.#repo.after(this.#context.db, userId, after, take);
  }

  unreadCount(userId: string): Promise<number> {
    return this.#repo.unreadCount(this.#context.db, userId);
  }

  async markRead(userId: string, id: string): Promise<Notification> {
    const notification = await this.#repo.markRead(this.#context.db, userId, id, this.#context.clock.now());
    if (notification === null) throw new AppError('NOT_FOUND', 'no such notification');
    await this.#tellUnread(userId);
    return notification;
  }

  async markAllRead(userId: string): Promise<number> {
    const marked = await this.#repo.markAllRead(this.#context.db, userId, this.#context.clock.now());
    await this.#tellUnread(userId);
    return marked;
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!(await this.#repo.remove(this.#context.db, userId, id))) throw new AppError('NOT_FOUND', 'no such notification');
    await this.#tellUnread(userId);
  }

  muted(userId: string): Promise<NotificationType[]> {
    return this.#repo.muted(this.#context.db, userId);
  }

  async setMuted(userId: string, types: readonly NotificationType[]): Promise<NotificationType[]> {
    await this.#context.db.transaction((tx) => this.#repo.setMuted(tx, userId, [...new Set(types)]));
    return this.muted(userId);
  }

  /** The user's other tabs and devices update their badge. */
  async #tellUnread(userId: string): Promise<void> {
    this.#hub.deliver([userId], { type: 'unread', count: await this.unreadCount(userId) });
  }
}

import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@realchat/contracts';
import type { Queryable } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { Profiles } from '@realchat/profiles';
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
  readonly #profiles: Profiles;
  readonly #repo = new InboxRepository();
  /** Since start, for /metrics: notifications pushed after their commit, events parked. */
  readonly stats = { created: 0, parked: 0 };

  constructor(context: NotificationsContext, deps: { readonly hub: LiveHub; readonly profiles: Profiles }) {
    this.#context = context;
    this.#hub = deps.hub;
    this.#profiles = deps.profiles;
  }

  /**
   * Writes `event`'s drafts with `tx`: none to the actor (my own actions never notify me), none of
   * a type the recipient muted, and of the rest one per recipient (the first draft naming them).
   * A constant number of statements, however many recipients (a group message names hundreds).
   */
  async deliver(tx: Queryable, event: EventEnvelope, drafts: readonly Draft[]): Promise<Delivery[]> {
    // Ids as Postgres returns them (lower case): the rows it returns are matched to the drafts by id.
    const candidates = drafts.flatMap((d) => {
      const recipientId = d.recipientId.toLowerCase();
      return recipientId === d.actorId?.toLowerCase() ? [] : [{ ...d, recipientId }];
    });
    if (candidates.length === 0) return [];
    const muted = await this.#repo.mutedOf(tx, [...new Set(candidates.map((d) => d.recipientId))]);
    const chosen = new Map<string, Draft>();
    for (const draft of candidates) if (!chosen.has(draft.recipientId) && muted.get(draft.recipientId)?.has(draft.type) !== true) chosen.set(draft.recipientId, draft);
    if (chosen.size === 0) return [];
    const recipients = [...chosen.keys()].sort();
    const seqs = await this.#repo.nextSeqs(tx, recipients);
    const at = this.#context.clock.now();
    const written = await this.#repo.write(tx, { drafts: recipients.map((id) => ({ id: randomUUID(), seq: seqs.get(id)!, draft: chosen.get(id)! })), event, at });
    if (written.size === 0) return [];
    const notifications = await this.#repo.byIds(tx, [...written.values()]);
    const unread = await this.#repo.unreadCounts(tx, [...written.keys()]);
    return recipients.flatMap((recipientId) => {
      const id = written.get(recipientId);
      return id === undefined ? [] : [{ notification: notifications.get(id)!, recipientId, unread: unread.get(recipientId) ?? 0 }];
    });
  }

  /** Tells the recipients' sockets (every instance) of what `deliver` wrote; after the commit, so it may ask auth for names. Never throws. */
  async announce(deliveries: readonly Delivery[]): Promise<void> {
    try {
      this.stats.created += deliveries.length;
      const named = await this.#named(deliveries.map((d) => d.notification));
      deliveries.forEach(({ recipientId, unread }, i) => {
        this.#hub.deliver([recipientId], { type: 'notification.new', notification: named[i]! });
        this.#hub.deliver([recipientId], { type: 'unread', count: unread });
      });
    } catch (err) {
      this.#context.logger.warn({ err }, 'notifications not pushed; their recipients catch up by resume');
    }
  }

  /** Parks an event whose payload broke its contract, so the stream goes on. */
  async park(tx: Queryable, consumer: string, event: EventEnvelope, error: string): Promise<void> {
    await this.#repo.park(tx, { consumer, event, error, at: this.#context.clock.now() });
    this.stats.parked++;
  }

  /** Newest first, below seq `before`; `take` rows (one more than a page, to tell whether another follows). */
  async page(userId: string, before: number | undefined, take: number): Promise<Notification[]> {
    return this.#named(await this.#repo.page(this.#context.db, userId, before, take));
  }

  /** Oldest first, above seq `after` (resume). */
  async after(userId: string, after: number, take: number): Promise<Notification[]> {
    return this.#named(await this.#repo.after(this.#context.db, userId, after, take));
  }

  unreadCount(userId: string): Promise<number> {
    return this.#repo.unreadCount(this.#context.db, userId);
  }

  async markRead(userId: string, id: string): Promise<Notification> {
    const notification = await this.#repo.markRead(this.#context.db, userId, id, this.#context.clock.now());
    if (notification === null) throw new AppError('NOT_FOUND', 'no such notification');
    await this.#tellUnread(userId);
    return (await this.#named([notification]))[0]!;
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

  /** Fills in the actors the projection did not name yet, from auth (which the projection then keeps). */
  async #named(notifications: readonly Notification[]): Promise<Notification[]> {
    const missing = [...new Set(notifications.flatMap((n) => (n.actor !== null && n.actor.displayName === null ? [n.actor.id] : [])))];
    if (missing.length === 0) return [...notifications];
    const found = await this.#profiles.findMany(missing);
    return notifications.map((n) => {
      if (n.actor === null || n.actor.displayName !== null) return n;
      // An account that no longer exists stays nameless.
      const displayName = found.get(n.actor.id)?.displayName || null;
      return { ...n, actor: { id: n.actor.id, displayName } };
    });
  }

  /** The user's other tabs and devices update their badge. */
  async #tellUnread(userId: string): Promise<void> {
    this.#hub.deliver([userId], { type: 'unread', count: await this.unreadCount(userId) });
  }
}

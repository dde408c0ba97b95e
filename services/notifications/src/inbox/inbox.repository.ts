import type { Queryable } from '@realchat/db';
import type { EventEnvelope } from '@realchat/contracts';
import type { Draft, Notification, NotificationType } from '../domain/types.js';

interface Row {
  id: string;
  seq: string;
  type: NotificationType;
  actorId: string | null;
  /** From the profile projection (`notifications.users`): null while the actor is not in it. */
  actorName: string | null;
  target: string;
  preview: string | null;
  count: number;
  readAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

// seq is bigint: read as text, converted in `toNotification` (a recipient never nears 2^53).
const COLUMNS = `n.id, n.seq::text as seq, n.type, n.actor_id as "actorId", u.display_name as "actorName", n.target, n.preview, n.count, n.read_at as "readAt", n.created_at as "createdAt", n.updated_at as "updatedAt"`;
/** The notifications with their actor's name from the profile projection. */
const FROM = 'notifications.notifications n left join notifications.users u on u.id = n.actor_id';

const toNotification = (row: Row): Notification => ({
  id: row.id,
  seq: Number(row.seq),
  type: row.type,
  actor: row.actorId === null ? null : { id: row.actorId, displayName: row.actorName },
  target: row.target,
  preview: row.preview,
  count: row.count,
  read: row.readAt !== null,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** A draft about to be written, with the notification's id and the recipient's next seq. */
export interface NewNotification {
  readonly id: string;
  readonly seq: number;
  readonly draft: Draft;
}

// Rows from arrays (one per column), so the statement's text is the same for any number of recipients.
const INSERT = `insert into notifications.notifications (id, recipient_id, seq, type, actor_id, target, preview, collapse_key, event_id, created_at, updated_at)
  select d.id, d.recipient_id, d.seq, d.type, d.actor_id, d.target, d.preview, d.collapse_key, $9::uuid, $10::timestamptz, $10::timestamptz
  from unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[]) as d(id, recipient_id, seq, type, actor_id, target, preview, collapse_key)
  order by d.recipient_id`;
const RETURNING = 'returning id, recipient_id as "recipientId"';
/** A redelivered event notifies nobody again. */
const INSERT_NEW = `${INSERT} on conflict (event_id, recipient_id) do nothing ${RETURNING}`;
/** A collapsing draft bumps its recipient's unread twin instead. */
const INSERT_COLLAPSING = `${INSERT} on conflict (recipient_id, collapse_key) where collapse_key is not null and read_at is null
  do update set seq = excluded.seq, actor_id = excluded.actor_id, preview = excluded.preview, count = notifications.notifications.count + 1, updated_at = excluded.updated_at
  ${RETURNING}`;

/** The notification service's SQL. */
export class InboxRepository {
  /** The types each of `userIds` muted. */
  async mutedOf(q: Queryable, userIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const { rows } = await q.query<{ userId: string; type: string }>('select user_id as "userId", type from notifications.muted_types where user_id = any($1::uuid[])', [userIds]);
    const muted = new Map<string, Set<string>>();
    for (const { userId, type } of rows) {
      let set = muted.get(userId);
      if (set === undefined) muted.set(userId, (set = new Set()));
      set.add(type);
    }
    return muted;
  }

  /**
   * The next seq of each of `userIds` (by id as Postgres writes it), in one statement. Takes their
   * rows in id order and holds them until the transaction ends: seqs commit in order, and two
   * events for the same users never wait on each other crosswise.
   */
  async nextSeqs(q: Queryable, userIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await q.query<{ userId: string; seq: string }>(
      `insert into notifications.recipients (user_id, last_seq) select u, 1 from unnest($1::uuid[]) u order by u
       on conflict (user_id) do update set last_seq = notifications.recipients.last_seq + 1 returning user_id as "userId", last_seq::text as seq`,
      [userIds],
    );
    return new Map(rows.map((r) => [r.userId, Number(r.seq)]));
  }

  /**
   * Writes each draft's notification, or (a collapsing draft whose unread twin exists) bumps that
   * one: count + 1, the new seq, actor and preview. One statement per kind of draft, whatever their
   * number. Returns the id written per recipient; a recipient this event notified already has none.
   */
  async write(q: Queryable, input: { drafts: readonly NewNotification[]; event: EventEnvelope; at: Date }): Promise<Map<string, string>> {
    const { drafts, event, at } = input;
    const written = new Map<string, string>();
    for (const [collapsing, sql] of [[false, INSERT_NEW], [true, INSERT_COLLAPSING]] as const) {
      const batch = drafts.filter((n) => (n.draft.collapseKey !== undefined) === collapsing);
      if (batch.length === 0) continue;
      const { rows } = await q.query<{ id: string; recipientId: string }>(sql, [
        batch.map((n) => n.id),
        batch.map((n) => n.draft.recipientId),
        batch.map((n) => n.seq),
        batch.map((n) => n.draft.type),
        batch.map((n) => n.draft.actorId),
        batch.map((n) => n.draft.target),
        batch.map((n) => n.draft.preview),
        batch.map((n) => n.draft.collapseKey ?? null),
        event.id,
        at,
      ]);
      for (const { id, recipientId } of rows) written.set(recipientId, id);
    }
    return written;
  }

  /** The notifications of `ids`, by id. */
  async byIds(q: Queryable, ids: readonly string[]): Promise<Map<string, Notification>> {
    const { rows } = await q.query<Row>(`select ${COLUMNS} from ${FROM} where n.id = any($1::uuid[])`, [ids]);
    return new Map(rows.map((row) => [row.id, toNotification(row)]));
  }

  /** The unread count of each of `userIds` that has unread notifications, by id. */
  async unreadCounts(q: Queryable, userIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await q.query<{ userId: string; n: number }>(
      'select recipient_id as "userId", count(*)::int as n from notifications.notifications where recipient_id = any($1::uuid[]) and read_at is null group by recipient_id',
      [userIds],
    );
    return new Map(rows.map((r) => [r.userId, r.n]));
  }

  async byId(q: Queryable, id: string): Promise<Notification | null> {
    const { rows } = await q.query<Row>(`select ${COLUMNS} from ${FROM} where n.id = $1`, [id]);
    return rows[0] === undefined ? null : toNotification(rows[0]);
  }

  async unreadCount(q: Queryable, userId: string): Promise<number> {
    const { rows } = await q.query<{ n: number }>('select count(*)::int as n from notifications.notifications where recipient_id = $1 and read_at is null', [userId]);
    return rows[0]!.n;
  }

  /** Newest first: seq below `before` (none: from the newest), at most `take`. */
  async page(q: Queryable, userId: string, before: number | undefined, take: number): Promise<Notification[]> {
    const { rows } = await q.query<Row>(
      `select ${COLUMNS} from ${FROM} where n.recipient_id = $1 and ($2::bigint is null or n.seq < $2::bigint) order by n.seq desc limit $3`,
      [userId, before ?? null, take],
    );
    return rows.map(toNotification);
  }

  /** Oldest first: seq above `after`, at most `take` (resume). */
  async after(q: Queryable, userId: string, after: number, take: number): Promise<Notification[]> {
    const { rows } = await q.query<Row>(`select ${COLUMNS} from ${FROM} where n.recipient_id = $1 and n.seq > $2 order by n.seq limit $3`, [userId, after, take]);
    return rows.map(toNotification);
  }

  /** Marks one read; null when the user has no such notification. */
  async markRead(q: Queryable, userId: string, id: string, at: Date): Promise<Notification | null> {
    const { rowCount } = await q.query('update notifications.notifications set read_at = coalesce(read_at, $3) where recipient_id = $1 and id = $2', [userId, id, at]);
    return rowCount === 0 ? null : this.byId(q, id);
  }

  /** Marks every unread one read; returns how many. */
  async markAllRead(q: Queryable, userId: string, at: Date): Promise<number> {
    return (await q.query('update notifications.notifications set read_at = $2 where recipient_id = $1 and read_at is null', [userId, at])).rowCount;
  }

  async remove(q: Queryable, userId: string, id: string): Promise<boolean> {
    return (await q.query('delete from notifications.notifications where recipient_id = $1 and id = $2', [userId, id])).rowCount > 0;
  }

  async muted(q: Queryable, userId: string): Promise<NotificationType[]> {
    const { rows } = await q.query<{ type: NotificationType }>('select type from notifications.muted_types where user_id = $1 order by type', [userId]);
    return rows.map((r) => r.type);
  }

  async setMuted(q: Queryable, userId: string, types: readonly NotificationType[]): Promise<void> {
    await q.query('delete from notifications.muted_types where user_id = $1', [userId]);
    if (types.length > 0) await q.query('insert into notifications.muted_types (user_id, type) select $1, unnest($2::text[])', [userId, types]);
  }

  async park(q: Queryable, input: { consumer: string; event: EventEnvelope; error: string; at: Date }): Promise<void> {
    const { consumer, event, error, at } = input;
    await q.query(
      `insert into notifications.dead_letters (event_id, consumer, type, version, payload, error, parked_at) values ($1, $2, $3, $4, $5::jsonb, $6, $7) on conflict do nothing`,
      [event.id, consumer, event.type, event.version, JSON.stringify(event), error, at],
    );
  }
}

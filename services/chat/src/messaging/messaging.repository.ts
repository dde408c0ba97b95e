import type { Queryable } from '@realchat/db';
import type { ChatMessage, Conversation, ReactionCount } from '../domain/types.js';

/** A conversation row without its members. */
export interface ConversationRow {
  readonly id: string;
  readonly type: 'direct' | 'group';
  readonly name: string | null;
  readonly createdBy: string;
  readonly lastSeq: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly lastActivityAt: Date;
}

export type MemberView = Conversation['members'][number];

interface MessageRow {
  readonly id: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly senderId: string;
  readonly clientMsgId: string;
  readonly body: string;
  readonly createdAt: Date;
  readonly editedAt: Date | null;
  readonly deletedAt: Date | null;
  readonly reactions: ReactionCount[];
}

/** Where the caller stands towards a conversation (for the errors of the paths that failed). */
export interface Standing {
  readonly type: 'direct' | 'group';
  readonly role: 'owner' | 'member' | null;
}

export type Position = 'read' | 'delivered';

const CONVERSATION_COLUMNS =
  'c.id, c.type, c.name, c.created_by as "createdBy", c.last_seq as "lastSeq", c.created_at as "createdAt", c.updated_at as "updatedAt", c.last_activity_at as "lastActivityAt"';

// Counts in order of the first reaction; a deleted message shows none (its rows are deleted with it, and one racing the delete is not shown).
const MESSAGE_COLUMNS = `m.id, m.conversation_id as "conversationId", m.seq, m.sender_id as "senderId", m.client_msg_id as "clientMsgId", m.body,
  m.created_at as "createdAt", m.edited_at as "editedAt", m.deleted_at as "deletedAt",
  case when m.deleted_at is not null then '[]'::json else coalesce((select json_agg(json_build_object('emoji', r.emoji, 'count', r.n) order by r.first, r.emoji)
            from (select emoji, count(*)::int as n, min(created_at) as first from chat.reactions where message_id = m.id group by emoji) r), '[]'::json) end as reactions`;

const IS_MEMBER = 'exists (select 1 from chat.members x where x.conversation_id = m.conversation_id and x.user_id = $1)';

/** The unordered pair as `direct_key` stores it (least id first). */
const directKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

export const toMessage = (row: MessageRow): ChatMessage => ({
  id: row.id,
  conversationId: row.conversationId,
  seq: row.seq,
  senderId: row.senderId,
  clientMsgId: row.clientMsgId,
  body: row.body,
  createdAt: row.createdAt.toISOString(),
  editedAt: row.editedAt?.toISOString() ?? null,
  deletedAt: row.deletedAt?.toISOString() ?? null,
  reactions: row.reactions,
});

/*
 * A batch of sends in one statement, so in one transaction without BEGIN and COMMIT round trips.
 * `c` locks the batch's conversations ($4: their ids, for an index lookup by key)
 * in id order (batches side by side never deadlock; every membership change takes the same lock)
 * and reads their last seq as it is once locked. A send goes through when its sender is a member
 * and, in a direct conversation, neither member blocked the other; it is new when its
 * (conversation, sender, clientMsgId) was not stored before nor earlier in the batch. New sends are
 * numbered in arrival order within their conversation, and the statement writes the messages, each
 * conversation's last seq, each sender's read position and the chat.message.created events, whose
 * recipients are the members read here. The other tables are read as of the statement's start: a
 * send racing another instance's with the same clientMsgId breaks the unique key and fails the
 * statement, never stores twice.
 */
const STORE_SENDS_SQL = `
with s as materialized (
  select x.ord, (e->>'id')::uuid as id, (e->>'eventId')::uuid as event_id, (e->>'conversationId')::uuid as conversation_id,
         (e->>'senderId')::uuid as sender_id, e->>'clientMsgId' as client_msg_id, e->>'body' as body, e->>'at' as at_text,
         (e->>'at')::timestamptz as at, e->>'preview' as preview
  from jsonb_array_elements($1::jsonb) with ordinality as x(e, ord)
), c as materialized (
  select id, type, name, last_seq from chat.conversations where id = any($4::uuid[]) order by id for update
), mem as materialized (
  select c.id, coalesce((select array_agg(user_id) from chat.members where conversation_id = c.id), '{}') as member_ids from c
), allowed as materialized (
  select s.*, c.type, c.name, c.last_seq, mem.member_ids
  from s join c on c.id = s.conversation_id join mem on mem.id = s.conversation_id
  where s.sender_id = any(mem.member_ids)
    and (c.type = 'group' or not exists (
      select 1 from unnest(mem.member_ids) o(user_id) join chat.blocks b
        on (b.blocker = s.sender_id and b.blocked = o.user_id) or (b.blocker = o.user_id and b.blocked = s.sender_id)
      where o.user_id <> s.sender_id))
), numbered as materialized (
  select f.*, f.last_seq + row_number() over (partition by f.conversation_id order by f.ord) as seq
  from (
    select distinct on (a.conversation_id, a.sender_id, a.client_msg_id) a.* from allowed a
    where not exists (select 1 from chat.messages m where m.conversation_id = a.conversation_id and m.sender_id = a.sender_id and m.client_msg_id = a.client_msg_id)
    order by a.conversation_id, a.sender_id, a.client_msg_id, a.ord
  ) f
), i as (
  insert into chat.messages (id, conversation_id, seq, sender_id, client_msg_id, body, created_at)
  select id, conversation_id, seq, sender_id, client_msg_id, body, at from numbered
), u as (
  update chat.conversations c set last_seq = n.seq, last_activity_at = n.at
  from (select distinct on (conversation_id) conversation_id, seq, at from numbered order by conversation_id, seq desc) n
  where c.id = any($4::uuid[]) and c.id = n.conversation_id
), r as (
  update chat.members m set read_seq = greatest(m.read_seq, n.seq), delivered_seq = greatest(m.delivered_seq, n.seq)
  from (select conversation_id, sender_id, max(seq) as seq from numbered group by conversation_id, sender_id) n
  where m.conversation_id = n.conversation_id and m.user_id = n.sender_id
), o as (
  insert into chat.outbox (id, type, version, occurred_at, producer, data)
  select event_id, $2, $3, at, 'chat', jsonb_build_object(
    'messageId', id, 'conversationId', conversation_id, 'conversationType', type, 'conversationName', name, 'seq', seq,
    'senderId', sender_id, 'recipientIds', to_jsonb(array_remove(member_ids, sender_id)), 'preview', preview, 'createdAt', at_text)
  from numbered order by ord
)
select
  (select json_agg(json_build_object('seq', n.seq, 'allowed', a.ord is not null) order by s.ord)
     from s left join allowed a on a.ord = s.ord left join numbered n on n.ord = s.ord) as outcomes,
  (select coalesce(json_object_agg(id, member_ids), '{}') from mem) as members`;

// Raises a position, never above the conversation's last seq; no row when nothing moved.
const positionSql = (column: 'read_seq' | 'delivered_seq'): string => `
update chat.members m set ${column} = least($3::bigint, c.last_seq)
from chat.conversations c
where m.conversation_id = $1 and m.user_id = $2 and c.id = $1 and m.${column} < least($3::bigint, c.last_seq)
returning m.${column} as seq, (select array_agg(user_id)::text[] from chat.members where conversation_id = $1) as "memberIds"`;
const POSITION_SQL = { read: positionSql('read_seq'), delivered: positionSql('delivered_seq') } as const;

/** A send of a batch, validated, with the ids of its message and of its event. */
export interface SendToStore {
  readonly id: string;
  readonly eventId: string;
  readonly conversationId: string;
  readonly senderId: string;
  readonly clientMsgId: string;
  readonly body: string;
  readonly at: Date;
  readonly preview: string;
}

/**
 * What became of each send of a batch, in order: `allowed` false when its sender may not send
 * there (or the conversation does not exist); `seq` null when allowed but repeated. `members`: the
 * member ids of each conversation of the batch.
 */
export interface StoredSends {
  readonly outcomes: ReadonlyArray<{ readonly seq: number | null; readonly allowed: boolean }>;
  readonly members: Readonly<Record<string, string[]>>;
}

/** chat's SQL for conversations, members, messages, reactions and search. */
export class MessagingRepository {
  /**
   * Stores a batch of sends in one statement (STORE_SENDS_SQL), prepared once per connection:
   * planning it costs PostgreSQL more than running it for a small batch.
   */
  async storeSends(q: Queryable, sends: readonly SendToStore[], event: { type: string; version: number }): Promise<StoredSends> {
    const { rows } = await q.query<StoredSends>(STORE_SENDS_SQL, [JSON.stringify(sends), event.type, event.version, [...new Set(sends.map((s) => s.conversationId))]], { name: 'chat.store_sends' });
    return rows[0]!;
  }

  async standing(q: Queryable, conversationId: string, userId: string): Promise<Standing | undefined> {
    const { rows } = await q.query<Standing>(
      `select c.type, (select role from chat.members where conversation_id = c.id and user_id = $2) as role from chat.conversations c where c.id = $1`,
      [conversationId, userId],
    );
    return rows[0];
  }

  /** Locks the conversation row: membership changes of one group run one at a time. */
  async lockStanding(q: Queryable, conversationId: string, userId: string): Promise<Standing | undefined> {
    const { rows } = await q.query<Standing>(
      `select c.type, (select role from chat.members where conversation_id = c.id and user_id = $2) as role from chat.conversations c where c.id = $1 for update`,
      [conversationId, userId],
    );
    return rows[0];
  }

  async blockedBetween(q: Queryable, a: string, b: string): Promise<boolean> {
    const { rows } = await q.query('select 1 from chat.blocks where (blocker = $1 and blocked = $2) or (blocker = $2 and blocked = $1) limit 1', [a, b]);
    return rows.length > 0;
  }

  /** Of `others`, those blocked by `userId` or blocking them. */
  async blockedAmong(q: Queryable, userId: string, others: readonly string[]): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      `select blocked as id from chat.blocks where blocker = $1 and blocked = any($2::uuid[])
       union select blocker from chat.blocks where blocked = $1 and blocker = any($2::uuid[])`,
      [userId, others],
    );
    return rows.map((r) => r.id);
  }

  /** Of `others`, those who are `userId`'s friends. */
  async friendsAmong(q: Queryable, userId: string, others: readonly string[]): Promise<Set<string>> {
    const { rows } = await q.query<{ id: string }>(
      `select user_high as id from chat.friendships where user_low = $1 and user_high = any($2::uuid[])
       union all select user_low from chat.friendships where user_high = $1 and user_low = any($2::uuid[])`,
      [userId, others],
    );
    return new Set(rows.map((r) => r.id));
  }

  async message(q: Queryable, id: string): Promise<ChatMessage | undefined> {
    const { rows } = await q.query<MessageRow>(`select ${MESSAGE_COLUMNS} from chat.messages m where m.id = $1`, [id]);
    return rows[0] && toMessage(rows[0]);
  }

  async messageByClientId(q: Queryable, conversationId: string, senderId: string, clientMsgId: string): Promise<ChatMessage | undefined> {
    const { rows } = await q.query<MessageRow>(`select ${MESSAGE_COLUMNS} from chat.messages m where m.conversation_id = $1 and m.sender_id = $2 and m.client_msg_id = $3`, [
      conversationId,
      senderId,
      clientMsgId,
    ]);
    return rows[0] && toMessage(rows[0]);
  }

  /** Messages with seq > `after`, oldest first, when `userId` is a member (else none). */
  async messagesAfter(q: Queryable, userId: string, conversationId: string, after: number, take: number): Promise<ChatMessage[]> {
    const { rows } = await q.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from chat.messages m where m.conversation_id = $2 and m.seq > $3 and ${IS_MEMBER} order by m.seq limit $4`,
      [userId, conversationId, after, take],
    );
    return rows.map(toMessage);
  }

  /** Messages with seq < `before` (or the newest), newest first, when `userId` is a member (else none). */
  async messagesBefore(q: Queryable, userId: string, conversationId: string, before: number | undefined, take: number): Promise<ChatMessage[]> {
    const { rows } = await q.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from chat.messages m where m.conversation_id = $2 and ($3::bigint is null or m.seq < $3::bigint) and ${IS_MEMBER} order by m.seq desc limit $4`,
      [userId, conversationId, before ?? null, take],
    );
    return rows.map(toMessage);
  }

  async memberships(q: Queryable, userId: string): Promise<Array<{ id: string; lastSeq: number }>> {
    const { rows } = await q.query<{ id: string; lastSeq: number }>(
      'select c.id, c.last_seq as "lastSeq" from chat.members m join chat.conversations c on c.id = m.conversation_id where m.user_id = $1',
      [userId],
    );
    return rows;
  }

  async memberIds(q: Queryable, conversationId: string): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>('select user_id as id from chat.members where conversation_id = $1', [conversationId]);
    return rows.map((r) => r.id);
  }

  /** Raises the member's position; undefined when it did not move (already there, or not a member). */
  async advance(q: Queryable, position: Position, userId: string, conversationId: string, seq: number): Promise<{ seq: number; memberIds: string[] } | undefined> {
    const { rows } = await q.query<{ seq: number; memberIds: string[] }>(POSITION_SQL[position], [conversationId, userId, seq]);
    return rows[0];
  }

  async position(q: Queryable, position: Position, userId: string, conversationId: string): Promise<number | undefined> {
    const column = position === 'read' ? 'read_seq' : 'delivered_seq';
    const { rows } = await q.query<{ seq: number }>(`select ${column} as seq from chat.members where conversation_id = $1 and user_id = $2`, [conversationId, userId]);
    return rows[0]?.seq;
  }

  /** Edits a message that is not deleted; false otherwise. */
  async edit(q: Queryable, id: string, body: string, at: Date): Promise<boolean> {
    const { rowCount } = await q.query('update chat.messages set body = $2, edited_at = $3 where id = $1 and deleted_at is null', [id, body, at]);
    return rowCount > 0;
  }

  /** Soft delete: the body goes (and its search terms and reactions with it); false when deleted already. */
  async softDelete(q: Queryable, id: string, by: string, at: Date): Promise<boolean> {
    const { rowCount } = await q.query(`update chat.messages set body = '', deleted_at = $2, deleted_by = $3 where id = $1 and deleted_at is null`, [id, at, by]);
    if (rowCount === 0) return false;
    await q.query('delete from chat.reactions where message_id = $1', [id]);
    return true;
  }

  /** Adds the reaction unless it exists or the message is deleted; true when added. */
  async addReaction(q: Queryable, messageId: string, userId: string, emoji: string, at: Date): Promise<boolean> {
    const { rowCount } = await q.query(
      `insert into chat.reactions (message_id, user_id, emoji, created_at)
       select $1, $2, $3, $4 where exists (select 1 from chat.messages where id = $1 and deleted_at is null)
       on conflict do nothing`,
      [messageId, userId, emoji, at],
    );
    return rowCount > 0;
  }

  async removeReaction(q: Queryable, messageId: string, userId: string, emoji: string): Promise<boolean> {
    const { rowCount } = await q.query('delete from chat.reactions where message_id = $1 and user_id = $2 and emoji = $3', [messageId, userId, emoji]);
    return rowCount > 0;
  }

  /** Newest first by (createdAt, id), in the conversations `userId` is a member of, deleted ones excluded. */
  async search(
    q: Queryable,
    userId: string,
    query: { text: string; conversationId: string | undefined; after: { at: Date; id: string } | undefined; take: number },
  ): Promise<ChatMessage[]> {
    const { rows } = await q.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from chat.messages m
       where m.search @@ websearch_to_tsquery('simple', $2) and m.deleted_at is null and ${IS_MEMBER}
         and ($3::uuid is null or m.conversation_id = $3::uuid)
         and ($4::timestamptz is null or (m.created_at, m.id) < ($4::timestamptz, $5::uuid))
       order by m.created_at desc, m.id desc limit $6`,
      [userId, query.text, query.conversationId ?? null, query.after?.at ?? null, query.after?.id ?? null, query.take],
    );
    return rows.map(toMessage);
  }

  // ---- conversations and members

  async directId(q: Queryable, a: string, b: string): Promise<string | undefined> {
    const { rows } = await q.query<{ id: string }>('select id from chat.conversations where direct_key = $1', [directKey(a, b)]);
    return rows[0]?.id;
  }

  /** The direct conversation of a pair, made unless it exists; `created` says which. */
  async ensureDirect(q: Queryable, c: { id: string; me: string; other: string; at: Date }): Promise<{ id: string; created: boolean }> {
    const key = directKey(c.me, c.other);
    const inserted = await q.query<{ id: string }>(
      `insert into chat.conversations (id, type, created_by, direct_key, created_at, updated_at, last_activity_at) values ($1, 'direct', $2, $3, $4, $4, $4)
       on conflict (direct_key) do nothing returning id`,
      [c.id, c.me, key, c.at],
    );
    if (inserted.rows.length > 0) {
      await q.query(
        `insert into chat.members (conversation_id, user_id, role, joined_at) values ($1, $2, 'member', $4), ($1, $3, 'member', $4)`,
        [c.id, c.me, c.other, c.at],
      );
      return { id: c.id, created: true };
    }
    // A concurrent creation that committed first: READ COMMITTED sees it in this new statement.
    const { rows } = await q.query<{ id: string }>('select id from chat.conversations where direct_key = $1', [key]);
    if (rows[0] === undefined) throw new Error('direct conversation vanished after a conflict');
    return { id: rows[0].id, created: false };
  }

  async insertGroup(q: Queryable, g: { id: string; owner: string; name: string; memberIds: readonly string[]; at: Date }): Promise<void> {
    await q.query(
      `insert into chat.conversations (id, type, name, created_by, created_at, updated_at, last_activity_at) values ($1, 'group', $2, $3, $4, $4, $4)`,
      [g.id, g.name, g.owner, g.at],
    );
    await q.query(
      `insert into chat.members (conversation_id, user_id, role, joined_at)
       select $1, u, case when u = $2 then 'owner' else 'member' end, $4 from unnest($3::uuid[]) as u`,
      [g.id, g.owner, [g.owner, ...g.memberIds], g.at],
    );
  }

  async rename(q: Queryable, id: string, name: string, at: Date): Promise<void> {
    await q.query('update chat.conversations set name = $2, updated_at = $3 where id = $1', [id, name, at]);
  }

  async touch(q: Queryable, id: string, at: Date): Promise<void> {
    await q.query('update chat.conversations set updated_at = $2 where id = $1', [id, at]);
  }

  async memberCount(q: Queryable, conversationId: string): Promise<number> {
    const { rows } = await q.query<{ n: number }>('select count(*)::int as n from chat.members where conversation_id = $1', [conversationId]);
    return rows[0]?.n ?? 0;
  }

  /** Adds members (those already in are skipped) with nothing unread: they start at the last seq. Returns the ids added. */
  async addMembers(q: Queryable, conversationId: string, userIds: readonly string[], at: Date): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      `insert into chat.members (conversation_id, user_id, role, joined_at, read_seq, delivered_seq)
       select $1, u, 'member', $3, c.last_seq, c.last_seq from unnest($2::uuid[]) as u, chat.conversations c where c.id = $1
       on conflict do nothing returning user_id as id`,
      [conversationId, userIds, at],
    );
    return rows.map((r) => r.id);
  }

  async removeMember(q: Queryable, conversationId: string, userId: string): Promise<'owner' | 'member' | undefined> {
    const { rows } = await q.query<{ role: 'owner' | 'member' }>('delete from chat.members where conversation_id = $1 and user_id = $2 returning role', [conversationId, userId]);
    return rows[0]?.role;
  }

  /** The member who joined first (then the least id) becomes owner; none when the group is empty. */
  async promoteOldest(q: Queryable, conversationId: string): Promise<void> {
    await q.query(
      `update chat.members set role = 'owner' where conversation_id = $1 and user_id = (
         select user_id from chat.members where conversation_id = $1 order by joined_at, user_id limit 1)`,
      [conversationId],
    );
  }

  async conversations(q: Queryable, ids: readonly string[]): Promise<ConversationRow[]> {
    const { rows } = await q.query<ConversationRow>(`select ${CONVERSATION_COLUMNS} from chat.conversations c where c.id = any($1::uuid[])`, [ids]);
    return rows;
  }

  /** Members of these conversations, oldest first, with their names from the projection. */
  async members(q: Queryable, conversationIds: readonly string[]): Promise<Array<MemberView & { conversationId: string }>> {
    const { rows } = await q.query<MemberView & { conversationId: string }>(
      `select m.conversation_id as "conversationId", m.user_id as id, coalesce(u.display_name, '') as "displayName", m.role,
         m.read_seq as "readSeq", m.delivered_seq as "deliveredSeq"
       from chat.members m left join chat.users u on u.id = m.user_id
       where m.conversation_id = any($1::uuid[]) order by m.joined_at, m.user_id`,
      [conversationIds],
    );
    return rows;
  }

  /** My conversations, newest activity first by (lastActivityAt, id), with my unread count. */
  async listMine(q: Queryable, userId: string, page: { after: { at: Date; id: string } | undefined; take: number }): Promise<Array<ConversationRow & { unreadCount: number }>> {
    const { rows } = await q.query<ConversationRow & { unreadCount: number }>(
      `select ${CONVERSATION_COLUMNS},
         (select count(*)::int from chat.messages x where x.conversation_id = c.id and x.seq > me.read_seq and x.sender_id <> $1 and x.deleted_at is null) as "unreadCount"
       from chat.members me join chat.conversations c on c.id = me.conversation_id
       where me.user_id = $1 and ($2::timestamptz is null or (c.last_activity_at, c.id) < ($2::timestamptz, $3::uuid))
       order by c.last_activity_at desc, c.id desc limit $4`,
      [userId, page.after?.at ?? null, page.after?.id ?? null, page.take],
    );
    return rows;
  }

  /** The newest message of each conversation (by its last seq). */
  async lastMessages(q: Queryable, conversationIds: readonly string[]): Promise<ChatMessage[]> {
    const { rows } = await q.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from chat.conversations c join chat.messages m on m.conversation_id = c.id and m.seq = c.last_seq where c.id = any($1::uuid[])`,
      [conversationIds],
    );
    return rows.map(toMessage);
  }
}

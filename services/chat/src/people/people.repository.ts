import type { Queryable } from '@realchat/db';

/** Where a newest-first page starts: after the row with this (time, user or request id). */
export interface PagePosition {
  readonly at: Date;
  readonly id: string;
}

export interface FriendRequestRow {
  readonly id: string;
  readonly fromUser: string;
  readonly toUser: string;
  readonly status: 'pending' | 'accepted' | 'declined' | 'cancelled';
  readonly createdAt: Date;
}

/** A user id with the time of the row that lists it (a friendship, a block, a request). */
export interface DatedUser {
  readonly id: string;
  readonly at: Date;
}

export interface DatedRequest extends FriendRequestRow {
  readonly otherId: string;
}

/** The unordered pair as stored (least id first). */
export const pairOf = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);

const REQUEST_COLUMNS = 'id, from_user as "fromUser", to_user as "toUser", status, created_at as "createdAt"';

/** `and (at, id) < (after)` for a newest-first page, its parameters pushed onto `params`. */
function olderThan(params: unknown[], atColumn: string, idColumn: string, after: PagePosition | undefined): string {
  if (after === undefined) return '';
  const at = params.push(after.at);
  const id = params.push(after.id);
  return `and (${atColumn}, ${idColumn}) < ($${at}::timestamptz, $${id}::uuid)`;
}

/** chat's SQL for friend requests, friendships and blocks. */
export class PeopleRepository {
  /**
   * Locks both users' projection rows, least id first, so that everything changing one pair
   * (requests, answers, friendships, blocks) runs one at a time: two crossed requests then meet.
   */
  async lockPair(q: Queryable, a: string, b: string): Promise<void> {
    await q.query('select id from chat.users where id = any($1::uuid[]) order by id for update', [pairOf(a, b)]);
  }

  async isBlockedBetween(q: Queryable, a: string, b: string): Promise<boolean> {
    const { rows } = await q.query('select 1 from chat.blocks where (blocker = $1 and blocked = $2) or (blocker = $2 and blocked = $1) limit 1', [a, b]);
    return rows.length > 0;
  }

  async areFriends(q: Queryable, a: string, b: string): Promise<boolean> {
    const { rows } = await q.query('select 1 from chat.friendships where user_low = $1 and user_high = $2', pairOf(a, b));
    return rows.length > 0;
  }

  async findPendingBetween(q: Queryable, a: string, b: string): Promise<FriendRequestRow | undefined> {
    const { rows } = await q.query<FriendRequestRow>(`select ${REQUEST_COLUMNS} from chat.friend_requests where pair_low = $1 and pair_high = $2 and status = 'pending'`, pairOf(a, b));
    return rows[0];
  }

  async findRequest(q: Queryable, id: string): Promise<FriendRequestRow | undefined> {
    const { rows } = await q.query<FriendRequestRow>(`select ${REQUEST_COLUMNS} from chat.friend_requests where id = $1`, [id]);
    return rows[0];
  }

  async insertRequest(q: Queryable, request: { id: string; fromUser: string; toUser: string; createdAt: Date }): Promise<void> {
    const [low, high] = pairOf(request.fromUser, request.toUser);
    await q.query(
      `insert into chat.friend_requests (id, from_user, to_user, status, pair_low, pair_high, created_at) values ($1, $2, $3, 'pending', $4, $5, $6)`,
      [request.id, request.fromUser, request.toUser, low, high, request.createdAt],
    );
  }

  /** Moves a pending request to `status`; false when it was no longer pending. */
  async answerRequest(q: Queryable, id: string, status: 'accepted' | 'declined' | 'cancelled', at: Date): Promise<boolean> {
    const { rows } = await q.query(`update chat.friend_requests set status = $2, responded_at = $3 where id = $1 and status = 'pending' returning id`, [id, status, at]);
    return rows.length > 0;
  }

  async cancelPendingBetween(q: Queryable, a: string, b: string, at: Date): Promise<void> {
    await q.query(`update chat.friend_requests set status = 'cancelled', responded_at = $3 where pair_low = $1 and pair_high = $2 and status = 'pending'`, [...pairOf(a, b), at]);
  }

  /** The caller's pending requests, newest first, each with the other user's id. */
  async listPending(q: Queryable, userId: string, page: { direction: 'incoming' | 'outgoing' | undefined; after: PagePosition | undefined; take: number }): Promise<DatedRequest[]> {
    const params: unknown[] = [userId, page.take];
    const mine = page.direction === 'incoming' ? 'to_user = $1' : page.direction === 'outgoing' ? 'from_user = $1' : '(to_user = $1 or from_user = $1)';
    const after = olderThan(params, 'created_at', 'id', page.after);
    const { rows } = await q.query<DatedRequest>(
      `select ${REQUEST_COLUMNS}, case when from_user = $1 then to_user else from_user end as "otherId"
       from chat.friend_requests where ${mine} and status = 'pending' ${after}
       order by created_at desc, id desc limit $2`,
      params,
    );
    return rows;
  }

  async insertFriendship(q: Queryable, a: string, b: string, at: Date): Promise<void> {
    await q.query('insert into chat.friendships (user_low, user_high, created_at) values ($1, $2, $3) on conflict do nothing', [...pairOf(a, b), at]);
  }

  async deleteFriendship(q: Queryable, a: string, b: string): Promise<boolean> {
    const { rows } = await q.query('delete from chat.friendships where user_low = $1 and user_high = $2 returning user_low', pairOf(a, b));
    return rows.length > 0;
  }

  async friendSince(q: Queryable, a: string, b: string): Promise<Date | undefined> {
    const { rows } = await q.query<{ createdAt: Date }>('select created_at as "createdAt" from chat.friendships where user_low = $1 and user_high = $2', pairOf(a, b));
    return rows[0]?.createdAt;
  }

  async friendIds(q: Queryable, userId: string): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      'select user_high as id from chat.friendships where user_low = $1 union all select user_low from chat.friendships where user_high = $1',
      [userId],
    );
    return rows.map((r) => r.id);
  }

  /** Friends newest first by (since, id). */
  async listFriends(q: Queryable, userId: string, page: { after: PagePosition | undefined; take: number }): Promise<DatedUser[]> {
    const params: unknown[] = [userId, page.take];
    const after = olderThan(params, 'at', 'id', page.after);
    const { rows } = await q.query<DatedUser>(
      `select id, at from (
         select user_high as id, created_at as at from chat.friendships where user_low = $1
         union all
         select user_low, created_at from chat.friendships where user_high = $1
       ) f where true ${after} order by at desc, id desc limit $2`,
      params,
    );
    return rows;
  }

  /** Inserts the block unless it exists; returns when it was made. */
  async block(q: Queryable, blocker: string, blocked: string, at: Date): Promise<Date> {
    await q.query('insert into chat.blocks (blocker, blocked, created_at) values ($1, $2, $3) on conflict do nothing', [blocker, blocked, at]);
    const { rows } = await q.query<{ createdAt: Date }>('select created_at as "createdAt" from chat.blocks where blocker = $1 and blocked = $2', [blocker, blocked]);
    return rows[0]?.createdAt ?? at;
  }

  async unblock(q: Queryable, blocker: string, blocked: string): Promise<void> {
    await q.query('delete from chat.blocks where blocker = $1 and blocked = $2', [blocker, blocked]);
  }

  /** The users `blocker` blocked, newest first by (blocked at, id). */
  async listBlocked(q: Queryable, blocker: string, page: { after: PagePosition | undefined; take: number }): Promise<DatedUser[]> {
    const params: unknown[] = [blocker, page.take];
    const after = olderThan(params, 'created_at', 'blocked', page.after);
    const { rows } = await q.query<DatedUser>(
      `select blocked as id, created_at as at from chat.blocks where blocker = $1 ${after} order by created_at desc, blocked desc limit $2`,
      params,
    );
    return rows;
  }
}

import type { Role } from '@realchat/contracts';
import type { Queryable } from '@realchat/db';
import { olderThan, type KeysetPosition } from './keyset.js';

export interface SessionRow {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly expiresAt: Date;
  readonly accessExpiresAt: Date;
  readonly userAgent: string | null;
  readonly revokedAt: Date | null;
}

/** A refresh token row joined with its session, as read under a row lock during rotation. */
export interface RefreshTokenState {
  readonly tokenHash: Buffer;
  readonly sessionId: string;
  readonly userId: string;
  /** The OAuth client the session belongs to; null for a first-party session. */
  readonly clientId: string | null;
  readonly expiresAt: Date;
  readonly spentAt: Date | null;
  readonly successorHash: Buffer | null;
  readonly sessionExpiresAt: Date;
  readonly sessionRevokedAt: Date | null;
  /** Whether the successor has itself been spent (then this token is no longer the immediate parent). */
  readonly successorSpent: boolean;
}

const SESSION_COLUMNS = `id, user_id as "userId", created_at as "createdAt", last_used_at as "lastUsedAt", expires_at as "expiresAt",
  access_expires_at as "accessExpiresAt", user_agent as "userAgent", revoked_at as "revokedAt"`;

const toBuffer = (value: Uint8Array | null): Buffer | null => (value === null ? null : Buffer.from(value));

export class SessionRepository {
  /** Whether the user had any session before, and any with this user agent (revoked ones count). */
  async deviceHistory(q: Queryable, userId: string, userAgent: string | null): Promise<{ signedInBefore: boolean; withThisAgent: boolean }> {
    const { rows } = await q.query<{ before: boolean; agent: boolean }>(
      `select exists (select 1 from auth.sessions where user_id = $1) as before,
              exists (select 1 from auth.sessions where user_id = $1 and user_agent is not distinct from $2) as agent`,
      [userId, userAgent],
    );
    const row = rows[0];
    return { signedInBefore: row?.before === true, withThisAgent: row?.agent === true };
  }

  async insertSession(
    q: Queryable,
    s: { id: string; userId: string; clientId: string | null; at: Date; expiresAt: Date; accessExpiresAt: Date; userAgent: string | null; ip: string | null },
  ): Promise<void> {
    await q.query(
      `insert into auth.sessions (id, user_id, client_id, created_at, last_used_at, expires_at, access_expires_at, user_agent, ip)
       values ($1, $2, $3, $4, $4, $5, $6, $7, $8)`,
      [s.id, s.userId, s.clientId, s.at, s.expiresAt, s.accessExpiresAt, s.userAgent, s.ip],
    );
  }

  async insertToken(q: Queryable, t: { hash: Buffer; sessionId: string; parentHash: Buffer | null; at: Date; expiresAt: Date }): Promise<void> {
    await q.query(
      'insert into auth.refresh_tokens (token_hash, session_id, parent_hash, issued_at, expires_at) values ($1, $2, $3, $4, $5)',
      [t.hash, t.sessionId, t.parentHash, t.at, t.expiresAt],
    );
  }

  /**
   * The common rotation as one statement (one round trip, one commit): spends a live, unspent
   * token of a live session, inserts its successor and touches the session. Returns undefined
   * when the token is anything else (unknown, spent, expired, revoked); the caller then takes the
   * careful path under a row lock; so does a token presented by a client other than the session's
   * (`clientId`, null for first-party). A concurrent rotation of the same token waits on the row and
   * then finds it spent, so only one statement wins.
   */
  async rotate(
    q: Queryable,
    r: { hash: Buffer; successorHash: Buffer; clientId: string | null; at: Date; successorExpiresAt: Date; accessExpiresAt: Date },
  ): Promise<{ sessionId: string; userId: string; roles: Role[]; successorExpiresAt: Date } | undefined> {
    const { rows } = await q.query<{ sessionId: string; userId: string; roles: Role[]; successorExpiresAt: Date }>(
      `with spent as (
         update auth.refresh_tokens t set spent_at = $3, successor_hash = $2
           from auth.sessions s
          where t.token_hash = $1 and t.spent_at is null and t.expires_at > $3
            and s.id = t.session_id and s.revoked_at is null and s.expires_at > $3 and s.client_id is not distinct from $6::text
         returning t.session_id, s.user_id, least($4::timestamptz, s.expires_at) as successor_expires_at
       ), touched as (
         -- Rechecked after waiting on the session row: a revocation that committed meanwhile recorded
         -- the old access_expires_at in its event, so no access token may be issued past it.
         update auth.sessions s set last_used_at = $3, access_expires_at = greatest(s.access_expires_at, $5)
           from spent where s.id = spent.session_id and s.revoked_at is null
         returning s.id
       ), successor as (
         insert into auth.refresh_tokens (token_hash, session_id, parent_hash, issued_at, expires_at)
         select $2, session_id, $1, $3, successor_expires_at from spent
       )
       select spent.session_id as "sessionId", spent.user_id as "userId", u.roles, spent.successor_expires_at as "successorExpiresAt"
         from spent join touched on touched.id = spent.session_id join auth.users u on u.id = spent.user_id`,
      [r.hash, r.successorHash, r.at, r.successorExpiresAt, r.accessExpiresAt, r.clientId],
    );
    return rows[0];
  }

  /**
   * Reads a token and its session, locking both: concurrent rotations of the token queue up, and a
   * concurrent revocation of the session is seen (not a stale snapshot of it).
   */
  async lockToken(q: Queryable, hash: Buffer): Promise<RefreshTokenState | undefined> {
    const { rows } = await q.query<{
      tokenHash: Uint8Array;
      sessionId: string;
      userId: string;
      clientId: string | null;
      expiresAt: Date;
      spentAt: Date | null;
      successorHash: Uint8Array | null;
      sessionExpiresAt: Date;
      sessionRevokedAt: Date | null;
      successorSpent: boolean | null;
    }>(
      `select t.token_hash as "tokenHash", t.session_id as "sessionId", s.user_id as "userId", s.client_id as "clientId", t.expires_at as "expiresAt",
              t.spent_at as "spentAt", t.successor_hash as "successorHash", s.expires_at as "sessionExpiresAt",
              s.revoked_at as "sessionRevokedAt",
              (select c.spent_at is not null from auth.refresh_tokens c where c.token_hash = t.successor_hash) as "successorSpent"
         from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
        where t.token_hash = $1
        for update of t, s`,
      [hash],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      ...row,
      tokenHash: Buffer.from(row.tokenHash),
      successorHash: toBuffer(row.successorHash),
      successorSpent: row.successorSpent === true,
    };
  }

  async markSpent(q: Queryable, hash: Buffer, successorHash: Buffer, at: Date): Promise<boolean> {
    const { rowCount } = await q.query(
      'update auth.refresh_tokens set spent_at = $2, successor_hash = $3 where token_hash = $1 and spent_at is null',
      [hash, at, successorHash],
    );
    return rowCount === 1;
  }

  async touch(q: Queryable, sessionId: string, at: Date, accessExpiresAt: Date): Promise<void> {
    await q.query(
      'update auth.sessions set last_used_at = $2, access_expires_at = greatest(access_expires_at, $3) where id = $1',
      [sessionId, at, accessExpiresAt],
    );
  }

  /** Revokes live sessions matching the filter; returns the ones this call revoked (for events). */
  async revoke(
    q: Queryable,
    filter: { sessionId: string } | { userId: string; exceptSessionId?: string },
    reason: string,
    at: Date,
  ): Promise<Array<{ id: string; userId: string; accessExpiresAt: Date }>> {
    const returning = 'returning id, user_id as "userId", access_expires_at as "accessExpiresAt"';
    const result =
      'sessionId' in filter
        ? await q.query<{ id: string; userId: string; accessExpiresAt: Date }>(
            `update auth.sessions set revoked_at = $2, revoked_reason = $3 where id = $1 and revoked_at is null ${returning}`,
            [filter.sessionId, at, reason],
          )
        : await q.query<{ id: string; userId: string; accessExpiresAt: Date }>(
            `update auth.sessions set revoked_at = $2, revoked_reason = $3
              where user_id = $1 and revoked_at is null and ($4::uuid is null or id <> $4::uuid) ${returning}`,
            [filter.userId, at, reason, filter.exceptSessionId ?? null],
          );
    return result.rows;
  }

  async findSession(q: Queryable, id: string): Promise<SessionRow | undefined> {
    const { rows } = await q.query<SessionRow>(`select ${SESSION_COLUMNS} from auth.sessions where id = $1`, [id]);
    return rows[0];
  }

  /**
   * A page of the user's live sessions, newest first by (created_at, id): both fixed at creation,
   * so rotations and new logins between pages neither repeat nor skip a session. Reads `take` rows.
   */
  async listLive(q: Queryable, userId: string, now: Date, page: { take: number; after?: KeysetPosition | undefined }): Promise<SessionRow[]> {
    const params: unknown[] = [userId, now, page.take];
    const after = olderThan(params, page.after);
    const { rows } = await q.query<SessionRow>(
      `select ${SESSION_COLUMNS} from auth.sessions
        where user_id = $1 and revoked_at is null and expires_at > $2 ${after}
          and exists (select 1 from auth.refresh_tokens t where t.session_id = sessions.id and t.spent_at is null and t.expires_at > $2)
        order by created_at desc, id desc limit $3`,
      params,
    );
    return rows;
  }

  /** Deletes sessions that ended long enough ago that no token of theirs can matter. */
  async purge(q: Queryable, before: Date): Promise<number> {
    const { rowCount } = await q.query('delete from auth.sessions where expires_at < $1 or (revoked_at is not null and access_expires_at < $1 and revoked_at < $1)', [before]);
    return rowCount;
  }
}

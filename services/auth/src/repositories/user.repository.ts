import type { Queryable } from '@realchat/db';
import type { Role } from '@realchat/contracts';
import { olderThan, type KeysetPosition } from './keyset.js';

export interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly roles: Role[];
  readonly createdAt: Date;
}

const COLUMNS = 'id, email, display_name as "displayName", password_hash as "passwordHash", roles, created_at as "createdAt"';

export class UserRepository {
  async insert(q: Queryable, user: UserRow): Promise<void> {
    await q.query(
      `insert into auth.users (id, email, display_name, password_hash, roles, created_at, updated_at, password_changed_at)
       values ($1, $2, $3, $4, $5, $6, $6, $6)`,
      [user.id, user.email, user.displayName, user.passwordHash, user.roles, user.createdAt],
    );
  }

  async findByEmail(q: Queryable, email: string): Promise<UserRow | undefined> {
    const { rows } = await q.query<UserRow>(`select ${COLUMNS} from auth.users where email = $1`, [email]);
    return rows[0];
  }

  async findById(q: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<UserRow | undefined> {
    const { rows } = await q.query<UserRow>(`select ${COLUMNS} from auth.users where id = $1${options.forUpdate === true ? ' for update' : ''}`, [id]);
    return rows[0];
  }

  async updatePasswordHash(q: Queryable, id: string, hash: string, at: Date, options: { changed: boolean }): Promise<void> {
    await q.query(
      options.changed
        ? 'update auth.users set password_hash = $2, updated_at = $3, password_changed_at = $3 where id = $1'
        : 'update auth.users set password_hash = $2, updated_at = $3 where id = $1',
      [id, hash, at],
    );
  }

  /**
   * Returns the row's new `updated_at`: `at`, or a millisecond past the previous one when the clock
   * has not moved past it, so that the events of one user stay strictly ordered by it.
   */
  async updateDisplayName(q: Queryable, id: string, displayName: string, at: Date): Promise<Date | undefined> {
    const { rows } = await q.query<{ updatedAt: Date }>(
      `update auth.users set display_name = $2, updated_at = greatest($3::timestamptz, updated_at + interval '1 millisecond') where id = $1 returning updated_at as "updatedAt"`,
      [id, displayName, at],
    );
    return rows[0]?.updatedAt;
  }

  async updateRoles(q: Queryable, id: string, roles: readonly Role[], at: Date): Promise<void> {
    await q.query('update auth.users set roles = $2, updated_at = $3 where id = $1', [id, roles, at]);
  }

  /**
   * A page of users, newest first by (created_at, id), optionally only emails starting with
   * `emailPrefix` (already normalised). `like 'prefix%'` with the wildcards escaped can use the
   * `text_pattern_ops` index whatever the database collation. Reads `take` rows.
   */
  async list(q: Queryable, page: { take: number; after?: KeysetPosition | undefined; emailPrefix?: string | undefined }): Promise<UserRow[]> {
    const params: unknown[] = [page.take];
    const email = page.emailPrefix === undefined ? '' : `and email like $${params.push(`${page.emailPrefix.replace(/[\\%_]/g, '\\$&')}%`)}`;
    const after = olderThan(params, page.after);
    const { rows } = await q.query<UserRow>(`select ${COLUMNS} from auth.users where true ${email} ${after} order by created_at desc, id desc limit $1`, params);
    return rows;
  }

  /**
   * Locks every administrator row, in id order (so two callers cannot deadlock), and returns their
   * ids: a concurrent demotion then waits and counts the administrators left after it.
   */
  async lockAdmins(q: Queryable): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(`select id from auth.users where 'ADMIN' = any(roles) order by id for update`);
    return rows.map((r) => r.id);
  }
}

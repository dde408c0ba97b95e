import type { Queryable } from '@realchat/db';
import type { UserSummary } from './types.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A projected user as written: `roles` undefined keeps the stored ones. */
export interface UserRow {
  readonly id: string;
  readonly displayName: string;
  readonly roles?: readonly string[] | undefined;
  readonly updatedAt: Date;
}

/** The SQL of `<schema>.users`; the schema is a checked identifier, spliced into every statement. */
export class ProfilesRepository {
  readonly #table: string;

  constructor(schema: string) {
    if (!IDENTIFIER.test(schema)) throw new TypeError(`invalid schema name ${JSON.stringify(schema)}`);
    this.#table = `${schema}.users`;
  }

  /**
   * Inserts or refreshes a projected user, unless the stored row is as new or newer: events may
   * arrive out of order and a lookup may race them.
   */
  async upsert(q: Queryable, user: UserRow): Promise<void> {
    const t = this.#table;
    if (user.roles === undefined) {
      await q.query(
        `insert into ${t} (id, display_name, updated_at) values ($1, $2, $3)
         on conflict (id) do update set display_name = excluded.display_name, updated_at = excluded.updated_at
         where ${t}.updated_at < excluded.updated_at`,
        [user.id, user.displayName, user.updatedAt],
      );
      return;
    }
    await q.query(
      `insert into ${t} (id, display_name, roles, updated_at) values ($1, $2, $3, $4)
       on conflict (id) do update set display_name = excluded.display_name, roles = excluded.roles, updated_at = excluded.updated_at
       where ${t}.updated_at < excluded.updated_at`,
      [user.id, user.displayName, user.roles, user.updatedAt],
    );
  }

  async find(q: Queryable, id: string): Promise<UserSummary | undefined> {
    const { rows } = await q.query<UserSummary>(`select id, display_name as "displayName" from ${this.#table} where id = $1`, [id]);
    return rows[0];
  }

  async findMany(q: Queryable, ids: readonly string[]): Promise<UserSummary[]> {
    if (ids.length === 0) return [];
    const { rows } = await q.query<UserSummary>(`select id, display_name as "displayName" from ${this.#table} where id = any($1::uuid[])`, [ids]);
    return rows;
  }

  /** For each of `names`, the users whose display name equals it ignoring case (both lowered by the database, as the index is). */
  async findByNames(q: Queryable, names: readonly string[]): Promise<Map<string, UserSummary[]>> {
    const byName = new Map<string, UserSummary[]>();
    if (names.length === 0) return byName;
    const { rows } = await q.query<UserSummary & { name: string }>(
      `select n.name, u.id, u.display_name as "displayName"
       from (select distinct name from unnest($1::text[]) as name) n join ${this.#table} u on lower(u.display_name) = lower(n.name)
       order by u.id`,
      [names],
    );
    for (const { name, id, displayName } of rows) byName.set(name, [...(byName.get(name) ?? []), { id, displayName }]);
    return byName;
  }
}

import type { Queryable } from '@realchat/db';

export interface CategoryRow {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const COLUMNS = 'id, name, description, created_at as "createdAt", updated_at as "updatedAt"';

/** The forum's SQL for categories. */
export class CategoriesRepository {
  async list(q: Queryable, page: { after: { at: Date; id: string } | undefined; take: number }): Promise<CategoryRow[]> {
    const { rows } = await q.query<CategoryRow>(
      `select ${COLUMNS} from forum.categories
       where $1::timestamptz is null or (created_at, id) > ($1::timestamptz, $2::uuid)
       order by created_at, id limit $3`,
      [page.after?.at ?? null, page.after?.id ?? null, page.take],
    );
    return rows;
  }

  async find(q: Queryable, id: string): Promise<CategoryRow | undefined> {
    const { rows } = await q.query<CategoryRow>(`select ${COLUMNS} from forum.categories where id = $1`, [id]);
    return rows[0];
  }

  async insert(q: Queryable, row: CategoryRow): Promise<void> {
    await q.query('insert into forum.categories (id, name, description, created_at, updated_at) values ($1, $2, $3, $4, $5)', [row.id, row.name, row.description, row.createdAt, row.updatedAt]);
  }

  async update(q: Queryable, id: string, change: { name: string | undefined; description: string | undefined; at: Date }): Promise<CategoryRow | undefined> {
    const { rows } = await q.query<CategoryRow>(
      `update forum.categories set name = coalesce($2, name), description = coalesce($3, description), updated_at = $4 where id = $1 returning ${COLUMNS}`,
      [id, change.name ?? null, change.description ?? null, change.at],
    );
    return rows[0];
  }

  /** Deletes the category unless it holds posts: 'deleted', 'not-empty' or 'missing'. */
  async delete(q: Queryable, id: string): Promise<'deleted' | 'not-empty' | 'missing'> {
    const { rows } = await q.query<{ id: string }>(
      'delete from forum.categories c where c.id = $1 and not exists (select 1 from forum.posts p where p.category_id = c.id) returning id',
      [id],
    );
    if (rows.length > 0) return 'deleted';
    return (await this.find(q, id)) === undefined ? 'missing' : 'not-empty';
  }
}

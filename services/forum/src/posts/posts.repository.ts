import type { Queryable } from '@realchat/db';

export interface PostRow {
  readonly id: string;
  readonly categoryId: string;
  readonly authorId: string;
  readonly title: string;
  readonly body: string;
  readonly pinned: boolean;
  readonly locked: boolean;
  readonly commentCount: number;
  readonly createdAt: Date;
  readonly editedAt: Date | null;
  readonly lastActivityAt: Date;
}

/** Where a page of a category's posts starts: after the post with this key (all three descending). */
export interface PostPosition {
  readonly pinned: boolean;
  readonly at: Date;
  readonly id: string;
}

const COLUMNS = `id, category_id as "categoryId", author_id as "authorId", title, body, pinned, locked, comment_count as "commentCount",
  created_at as "createdAt", edited_at as "editedAt", last_activity_at as "lastActivityAt"`;

/** The forum's SQL for posts. */
export class PostsRepository {
  async insert(q: Queryable, post: { id: string; categoryId: string; authorId: string; title: string; body: string; at: Date }): Promise<PostRow> {
    const { rows } = await q.query<PostRow>(
      `insert into forum.posts (id, category_id, author_id, title, body, created_at, last_activity_at) values ($1, $2, $3, $4, $5, $6, $6) returning ${COLUMNS}`,
      [post.id, post.categoryId, post.authorId, post.title, post.body, post.at],
    );
    return rows[0]!;
  }

  async find(q: Queryable, id: string): Promise<PostRow | undefined> {
    const { rows } = await q.query<PostRow>(`select ${COLUMNS} from forum.posts where id = $1`, [id]);
    return rows[0];
  }

  /** The post, its row locked until the transaction ends (comments take their seq under it). */
  async lock(q: Queryable, id: string): Promise<(PostRow & { readonly lastCommentSeq: number }) | undefined> {
    const { rows } = await q.query<PostRow & { lastCommentSeq: number }>(`select ${COLUMNS}, last_comment_seq::int as "lastCommentSeq" from forum.posts where id = $1 for update`, [id]);
    return rows[0];
  }

  async edit(q: Queryable, id: string, change: { title: string | undefined; body: string | undefined; at: Date }): Promise<PostRow | undefined> {
    const { rows } = await q.query<PostRow>(
      `update forum.posts set title = coalesce($2, title), body = coalesce($3, body), edited_at = $4 where id = $1 returning ${COLUMNS}`,
      [id, change.title ?? null, change.body ?? null, change.at],
    );
    return rows[0];
  }

  async setFlag(q: Queryable, id: string, flag: 'pinned' | 'locked', value: boolean): Promise<PostRow | undefined> {
    const { rows } = await q.query<PostRow>(`update forum.posts set ${flag} = $2 where id = $1 returning ${COLUMNS}`, [id, value]);
    return rows[0];
  }

  /** Deletes the post and (cascade) its comments; false when there was none. */
  async delete(q: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await q.query('delete from forum.posts where id = $1', [id]);
    return rowCount > 0;
  }

  async categoryExists(q: Queryable, id: string): Promise<boolean> {
    const { rows } = await q.query('select 1 from forum.categories where id = $1', [id]);
    return rows.length > 0;
  }

  /** A category's posts, pinned first, then newest activity, then id (the index `posts_category_order`). */
  async listByCategory(q: Queryable, categoryId: string, page: { after: PostPosition | undefined; take: number }): Promise<PostRow[]> {
    const { rows } = await q.query<PostRow>(
      `select ${COLUMNS} from forum.posts
       where category_id = $1 and ($2::boolean is null or (pinned, last_activity_at, id) < ($2::boolean, $3::timestamptz, $4::uuid))
       order by pinned desc, last_activity_at desc, id desc limit $5`,
      [categoryId, page.after?.pinned ?? null, page.after?.at ?? null, page.after?.id ?? null, page.take],
    );
    return rows;
  }
}

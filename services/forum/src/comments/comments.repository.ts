import type { Queryable } from '@realchat/db';

export interface CommentRow {
  readonly id: string;
  readonly postId: string;
  readonly seq: number;
  readonly parentId: string | null;
  readonly authorId: string;
  readonly body: string;
  readonly createdAt: Date;
  readonly editedAt: Date | null;
  readonly deletedAt: Date | null;
}

const COLUMNS = `id, post_id as "postId", seq::int as seq, parent_id as "parentId", author_id as "authorId", body,
  created_at as "createdAt", edited_at as "editedAt", deleted_at as "deletedAt"`;

/**
 * A page of a post's comments ($1 post, $2 after seq, $3 limit). It orders by the table's column:
 * `order by seq` would sort by the `seq::int` output column instead, which no index serves.
 */
export const LIST_COMMENTS_SQL = `select ${COLUMNS} from forum.comments where post_id = $1 and seq > $2 order by comments.seq limit $3`;

/** The forum's SQL for comments. */
export class CommentsRepository {
  /** Stores a comment with the post's next seq and moves the post's activity, under the post's lock (taken by the caller). */
  async insert(q: Queryable, c: { id: string; postId: string; seq: number; parentId: string | null; authorId: string; body: string; at: Date }): Promise<CommentRow> {
    const { rows } = await q.query<CommentRow>(
      `insert into forum.comments (id, post_id, seq, parent_id, author_id, body, created_at) values ($1, $2, $3, $4, $5, $6, $7) returning ${COLUMNS}`,
      [c.id, c.postId, c.seq, c.parentId, c.authorId, c.body, c.at],
    );
    await q.query(
      'update forum.posts set last_comment_seq = $2, comment_count = comment_count + 1, last_activity_at = greatest(last_activity_at, $3) where id = $1',
      [c.postId, c.seq, c.at],
    );
    return rows[0]!;
  }

  async find(q: Queryable, id: string): Promise<CommentRow | undefined> {
    const { rows } = await q.query<CommentRow>(`select ${COLUMNS} from forum.comments where id = $1`, [id]);
    return rows[0];
  }

  /** The comment, locked until the transaction ends. */
  async lock(q: Queryable, id: string): Promise<CommentRow | undefined> {
    const { rows } = await q.query<CommentRow>(`select ${COLUMNS} from forum.comments where id = $1 for update`, [id]);
    return rows[0];
  }

  async edit(q: Queryable, id: string, body: string, at: Date): Promise<CommentRow> {
    const { rows } = await q.query<CommentRow>(`update forum.comments set body = $2, edited_at = $3 where id = $1 returning ${COLUMNS}`, [id, body, at]);
    return rows[0]!;
  }

  /** Soft delete: the body goes (its search terms with it), the row stays for its replies; the post counts one fewer. */
  async softDelete(q: Queryable, comment: CommentRow, at: Date): Promise<void> {
    await q.query(`update forum.comments set body = '', deleted_at = $2 where id = $1`, [comment.id, at]);
    await q.query('update forum.posts set comment_count = comment_count - 1 where id = $1', [comment.postId]);
  }

  /** A post's comments oldest first (by seq), after `afterSeq`: one range of the unique (post_id, seq) index. */
  async list(q: Queryable, postId: string, page: { afterSeq: number; take: number }): Promise<CommentRow[]> {
    const { rows } = await q.query<CommentRow>(LIST_COMMENTS_SQL, [postId, page.afterSeq, page.take]);
    return rows;
  }

  async postExists(q: Queryable, id: string): Promise<boolean> {
    const { rows } = await q.query('select 1 from forum.posts where id = $1', [id]);
    return rows.length > 0;
  }
}

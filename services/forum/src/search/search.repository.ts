import type { Queryable } from '@realchat/db';

export interface SearchRow {
  readonly kind: 'post' | 'comment';
  readonly id: string;
  readonly postId: string;
  readonly postTitle: string;
  readonly excerpt: string;
  readonly authorId: string;
  readonly createdAt: Date;
}

/** Characters of a hit's text returned with it. */
const EXCERPT_LENGTH = 200;

/** The forum's full-text search: posts (title and body) and comments not deleted, through their GIN indexes. */
export class SearchRepository {
  /** Hits for the web-search query `text` (`simple` configuration, as chat's), newest first by (createdAt, id). */
  async search(q: Queryable, query: { text: string; after: { at: Date; id: string } | undefined; take: number }): Promise<SearchRow[]> {
    const { rows } = await q.query<SearchRow>(
      `with query as (select websearch_to_tsquery('simple', $1) as q)
       select * from (
         select 'post' as kind, p.id, p.id as "postId", p.title as "postTitle", left(p.body, ${EXCERPT_LENGTH}) as excerpt, p.author_id as "authorId", p.created_at as "createdAt"
         from forum.posts p, query where p.search @@ query.q
         union all
         select 'comment', c.id, c.post_id, p.title, left(c.body, ${EXCERPT_LENGTH}), c.author_id, c.created_at
         from forum.comments c join forum.posts p on p.id = c.post_id, query where c.search @@ query.q and c.deleted_at is null
       ) hits
       where $2::timestamptz is null or ("createdAt", id) < ($2::timestamptz, $3::uuid)
       order by "createdAt" desc, id desc limit $4`,
      [query.text, query.after?.at ?? null, query.after?.id ?? null, query.take],
    );
    return rows;
  }
}

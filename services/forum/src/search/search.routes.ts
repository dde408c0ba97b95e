import { Type } from 'typebox';
import type { Profiles } from '@realchat/profiles';
import { cursorCodec, CursorId, CursorTime, Page, pageQuery, toPage, type App } from '@realchat/http';
import type { Database } from '@realchat/db';
import { Author, BodyFormat, Instant, Uuid } from '../schemas.js';
import { SearchRepository } from './search.repository.js';

const Hit = Type.Object({
  type: Type.Union([Type.Literal('post'), Type.Literal('comment')]),
  id: Uuid,
  postId: Uuid,
  postTitle: Type.String(),
  excerpt: Type.String({ description: 'The first 200 characters of the post or comment body.' }),
  bodyFormat: BodyFormat,
  author: Author,
  createdAt: Instant,
});
const SearchQuery = pageQuery({ defaultLimit: 20, maxLimit: 50 }, { q: Type.String({ minLength: 1, maxLength: 256, description: 'Words, "quoted phrases", -excluded (web-search syntax).' }) });

/** Newest first: (createdAt, id). */
const codec = cursorCodec(Type.Tuple([CursorTime, CursorId]));

/** GET /forum/search: posts and comments, newest first (a stable order, so keyset pages never repeat or skip a hit). */
export async function searchRoutes(app: App, db: Database, profiles: Profiles): Promise<void> {
  const repo = new SearchRepository();
  app.get('/forum/search', { schema: { tags: ['search'], security: [{ bearer: [] }], querystring: SearchQuery, response: { 200: Page(Hit) } } }, async (request) => {
    const { q, cursor, limit } = request.query;
    const key = codec.decode(cursor);
    const rows = await repo.search(db, { text: q, after: key === undefined ? undefined : { at: new Date(key[0]), id: key[1] }, take: limit + 1 });
    const authors = await profiles.findMany([...new Set(rows.map((r) => r.authorId))]);
    return toPage(
      rows,
      limit,
      (r) => codec.encode([r.createdAt.toISOString(), r.id]),
      (r) => ({
        type: r.kind,
        id: r.id,
        postId: r.postId,
        postTitle: r.postTitle,
        excerpt: r.excerpt,
        bodyFormat: 'text/plain' as const,
        author: authors.get(r.authorId) ?? { id: r.authorId, displayName: '' },
        createdAt: r.createdAt.toISOString(),
      }),
    );
  });
}

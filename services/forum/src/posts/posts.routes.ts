import { Type } from 'typebox';
import { cursorCodec, CursorId, CursorTime, Page, pageQuery, toPage, type App } from '@realchat/http';
import { actorOf } from '../http.js';
import { Author, BodyFormat, IdParams, Instant, Nullable, Uuid } from '../schemas.js';
import type { PostsService } from './posts.service.js';

export const Post = Type.Object({
  id: Uuid,
  categoryId: Uuid,
  title: Type.String(),
  body: Type.String(),
  bodyFormat: BodyFormat,
  author: Author,
  pinned: Type.Boolean(),
  locked: Type.Boolean({ description: 'A locked post takes no new comments.' }),
  commentCount: Type.Integer({ minimum: 0, description: 'Comments not deleted.' }),
  createdAt: Instant,
  editedAt: Nullable(Instant),
  lastActivityAt: Instant,
});
// Outer bounds on what is read at all; the limits themselves (FORUM_*_MAX_LENGTH) are checked after trimming.
const Title = Type.String({ maxLength: 2_000, description: 'Plain text, trimmed; 1 to 200 characters.' });
const Body = Type.String({ maxLength: 200_000, description: 'Plain text, trimmed; 1 to FORUM_POST_MAX_LENGTH characters. Never markup.' });
const CreateBody = Type.Object({ categoryId: Uuid, title: Title, body: Body }, { additionalProperties: false });
const EditBody = Type.Object({ title: Type.Optional(Title), body: Type.Optional(Body) }, { additionalProperties: false, minProperties: 1 });
const ListQuery = pageQuery({ defaultLimit: 20, maxLimit: 50 });

/** A category's posts: (pinned, lastActivityAt, id), all descending. */
const codec = cursorCodec(Type.Tuple([Type.Boolean(), CursorTime, CursorId]));

/** Posts under /forum: lists by category, CRUD, and the ADMIN's lock and pin. */
export async function postsRoutes(app: App, posts: PostsService): Promise<void> {
  const security = [{ bearer: [] }];
  const tags = ['posts'];
  const admin = { roles: ['ADMIN' as const] };

  app.get('/forum/categories/:id/posts', { schema: { tags, security, params: IdParams, querystring: ListQuery, response: { 200: Page(Post) } } }, async (request) => {
    const { cursor, limit } = request.query;
    const key = codec.decode(cursor);
    const after = key === undefined ? undefined : { pinned: key[0], at: new Date(key[1]), id: key[2] };
    const rows = await posts.listByCategory(request.params.id, { after, take: limit + 1 });
    return toPage(rows, limit, (p) => codec.encode([p.pinned, p.lastActivityAt, p.id]));
  });

  app.post('/forum/posts', { schema: { tags, security, body: CreateBody, response: { 201: Post } } }, async (request, reply) =>
    reply.code(201).send(await posts.create(actorOf(request), request.body)),
  );

  app.get('/forum/posts/:id', { schema: { tags, security, params: IdParams, response: { 200: Post } } }, async (request) => posts.get(request.params.id));

  app.patch('/forum/posts/:id', { schema: { tags, security, params: IdParams, body: EditBody, response: { 200: Post } } }, async (request) =>
    posts.edit(actorOf(request), request.params.id, request.body),
  );

  app.delete('/forum/posts/:id', { schema: { tags, security, params: IdParams } }, async (request, reply) => {
    await posts.delete(actorOf(request), request.params.id);
    return reply.code(204).send();
  });

  for (const [path, flag] of [['lock', 'locked'], ['pin', 'pinned']] as const) {
    app.put(`/forum/posts/:id/${path}`, { config: admin, schema: { tags, security, params: IdParams, response: { 200: Post } } }, async (request) =>
      posts.setFlag(request.params.id, flag, true),
    );
    app.delete(`/forum/posts/:id/${path}`, { config: admin, schema: { tags, security, params: IdParams, response: { 200: Post } } }, async (request) =>
      posts.setFlag(request.params.id, flag, false),
    );
  }
}

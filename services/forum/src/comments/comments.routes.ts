import { Type } from 'typebox';
import { cursorCodec, Page, pageQuery, toPage, type App } from '@realchat/http';
import { actorOf } from '../http.js';
import { Author, BodyFormat, IdParams, Instant, Nullable, Uuid } from '../schemas.js';
import type { CommentsService } from './comments.service.js';

export const Comment = Type.Object({
  id: Uuid,
  postId: Uuid,
  seq: Type.Integer({ minimum: 1, description: 'Position in the post, from 1 (the list order).' }),
  parentId: Nullable(Uuid),
  body: Type.String({ description: 'Empty once deleted.' }),
  bodyFormat: BodyFormat,
  author: Author,
  createdAt: Instant,
  editedAt: Nullable(Instant),
  deletedAt: Nullable(Instant),
});
// An outer bound on what is read at all; FORUM_COMMENT_MAX_LENGTH is checked after trimming.
const Body = Type.String({ maxLength: 200_000, description: 'Plain text, trimmed; 1 to FORUM_COMMENT_MAX_LENGTH characters. Never markup.' });
const CreateBody = Type.Object(
  { body: Body, parentId: Type.Optional(Type.String({ format: 'uuid', description: 'A top-level comment of the same post: replies are one level deep (a reply to a reply is 400 NESTED_REPLY).' })) },
  { additionalProperties: false },
);
const EditBody = Type.Object({ body: Body }, { additionalProperties: false });
const ListQuery = pageQuery({ defaultLimit: 50, maxLimit: 100 });

/** A post's comments, oldest first: the seq of the last one. */
const codec = cursorCodec(Type.Tuple([Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })]));

/** Comments under /forum. */
export async function commentsRoutes(app: App, comments: CommentsService): Promise<void> {
  const security = [{ bearer: [] }];
  const tags = ['comments'];

  app.get('/forum/posts/:id/comments', { schema: { tags, security, params: IdParams, querystring: ListQuery, response: { 200: Page(Comment) } } }, async (request) => {
    const { cursor, limit } = request.query;
    const rows = await comments.list(request.params.id, { afterSeq: codec.decode(cursor)?.[0] ?? 0, take: limit + 1 });
    return toPage(rows, limit, (c) => codec.encode([c.seq]));
  });

  app.post('/forum/posts/:id/comments', { schema: { tags, security, params: IdParams, body: CreateBody, response: { 201: Comment } } }, async (request, reply) =>
    reply.code(201).send(await comments.create(actorOf(request), request.params.id, request.body)),
  );

  app.patch('/forum/comments/:id', { schema: { tags, security, params: IdParams, body: EditBody, response: { 200: Comment } } }, async (request) =>
    comments.edit(actorOf(request), request.params.id, request.body.body),
  );

  app.delete('/forum/comments/:id', { schema: { tags, security, params: IdParams } }, async (request, reply) => {
    await comments.delete(actorOf(request), request.params.id);
    return reply.code(204).send();
  });
}

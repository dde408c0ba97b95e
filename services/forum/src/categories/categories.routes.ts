import { Type } from 'typebox';
import { cursorCodec, CursorId, CursorTime, Page, pageQuery, toPage, type App } from '@realchat/http';
import type { CategoriesService } from './categories.service.js';

const Uuid = Type.String({ format: 'uuid' });
const Instant = Type.String({ format: 'date-time' });
const Category = Type.Object({ id: Uuid, name: Type.String(), description: Type.String(), createdAt: Instant, updatedAt: Instant });
// Outer bounds on what is read at all; the limits themselves are checked after trimming.
const Name = Type.String({ maxLength: 1_000, description: 'Trimmed; 1 to 60 characters, unique ignoring case.' });
const Description = Type.String({ maxLength: 5_000, description: 'Plain text, trimmed; at most 500 characters.' });
const CreateBody = Type.Object({ name: Name, description: Type.Optional(Description) }, { additionalProperties: false });
const UpdateBody = Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 });
const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const ListQuery = pageQuery({ defaultLimit: 50, maxLimit: 100 });

/** Oldest first: (createdAt, id). */
const codec = cursorCodec(Type.Tuple([CursorTime, CursorId]));

/** Categories under /forum/categories: anyone signed in reads, ADMIN writes. */
export async function categoriesRoutes(app: App, categories: CategoriesService): Promise<void> {
  const security = [{ bearer: [] }];
  const tags = ['categories'];
  const admin = { roles: ['ADMIN' as const] };

  app.get('/forum/categories', { schema: { tags, security, querystring: ListQuery, response: { 200: Page(Category) } } }, async (request) => {
    const { cursor, limit } = request.query;
    const key = codec.decode(cursor);
    const rows = await categories.list({ after: key === undefined ? undefined : { at: new Date(key[0]), id: key[1] }, take: limit + 1 });
    return toPage(rows, limit, (c) => codec.encode([c.createdAt, c.id]));
  });

  app.post('/forum/categories', { config: admin, schema: { tags, security, body: CreateBody, response: { 201: Category } } }, async (request, reply) =>
    reply.code(201).send(await categories.create(request.body)),
  );

  app.patch('/forum/categories/:id', { config: admin, schema: { tags, security, params: IdParams, body: UpdateBody, response: { 200: Category } } }, async (request) =>
    categories.update(request.params.id, request.body),
  );

  app.delete('/forum/categories/:id', { config: admin, schema: { tags, security, params: IdParams } }, async (request, reply) => {
    await categories.delete(request.params.id);
    return reply.code(204).send();
  });
}

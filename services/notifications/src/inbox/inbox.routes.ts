import { Type } from 'typebox';
import { cursorCodec, Page, pageQuery, toPage, type App } from '@realchat/http';
import { NOTIFICATION_TYPES, NotificationTypeSchema } from '../domain/types.js';
import { userOf } from '../http.js';
import type { Inbox } from './inbox.service.js';

const Uuid = Type.String({ format: 'uuid' });
const NotificationSchema = Type.Object({
  id: Uuid,
  seq: Type.Integer({ minimum: 1 }),
  type: NotificationTypeSchema,
  actor: Type.Union([Type.Object({ id: Uuid, displayName: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
  target: Type.String({ description: 'The path a client opens, e.g. `/forum/posts/<id>#comment-<id>`.' }),
  preview: Type.Union([Type.String({ description: 'Plain text, never HTML.' }), Type.Null()]),
  count: Type.Integer({ minimum: 1, description: 'Events it stands for: chat messages collapse per conversation while unread.' }),
  read: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const InboxPage = Type.Object({ ...Page(NotificationSchema).properties, unreadCount: Type.Integer({ minimum: 0, description: 'Unread notifications in the whole inbox.' }) });
const Preferences = Type.Object({
  muted: Type.Array(NotificationTypeSchema, { description: 'Types that create no notification for this user.' }),
  types: Type.Array(NotificationTypeSchema, { description: 'Every type there is.' }),
});
const PreferencesBody = Type.Object({ muted: Type.Array(NotificationTypeSchema, { maxItems: NOTIFICATION_TYPES.length * 2 }) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

/** Newest first by the recipient's seq: new rows only ever come before the first page, so pages stay stable. */
const codec = cursorCodec(Type.Tuple([Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })]));

/** The inbox under /notifications (user tokens). */
export async function inboxRoutes(app: App, inbox: Inbox): Promise<void> {
  const tags = ['notifications'];
  const security = [{ bearer: [] }];

  app.get('/notifications', { schema: { tags, security, querystring: pageQuery(), response: { 200: InboxPage } } }, async (request) => {
    const me = userOf(request).userId;
    const { cursor, limit } = request.query;
    const before = codec.decode(cursor)?.[0];
    const rows = await inbox.page(me, before, limit + 1);
    // Counted after the page is read: never fewer than the unread items the page shows.
    const unreadCount = await inbox.unreadCount(me);
    return { ...toPage(rows, limit, (last) => codec.encode([last.seq])), unreadCount };
  });

  app.post('/notifications/:id/read', { schema: { tags, security, params: IdParams, response: { 200: NotificationSchema } } }, async (request) =>
    inbox.markRead(userOf(request).userId, request.params.id),
  );

  app.post('/notifications/read-all', { schema: { tags, security, response: { 200: Type.Object({ marked: Type.Integer({ minimum: 0 }) }) } } }, async (request) => ({
    marked: await inbox.markAllRead(userOf(request).userId),
  }));

  app.delete('/notifications/:id', { schema: { tags, security, params: IdParams } }, async (request, reply) => {
    await inbox.remove(userOf(request).userId, request.params.id);
    return reply.code(204).send();
  });

  app.get('/notifications/preferences', { schema: { tags, security, response: { 200: Preferences } } }, async (request) => ({
    muted: await inbox.muted(userOf(request).userId),
    types: [...NOTIFICATION_TYPES],
  }));

  app.put('/notifications/preferences', { schema: { tags, security, body: PreferencesBody, response: { 200: Preferences } } }, async (request) => ({
    muted: await inbox.setMuted(userOf(request).userId, request.body.muted),
    types: [...NOTIFICATION_TYPES],
  }));
}

import type { FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { AppError } from '@realchat/errors';
import { cursorCodec, CursorId, CursorTime, Page, pageQuery, toPage, type App } from '@realchat/http';
import { userOf } from '../http.js';
import type { ConversationsService } from './conversations.service.js';
import type { Actor, MessagingService } from './messaging.service.js';

const Uuid = Type.String({ format: 'uuid' });
const Instant = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const ChatMessage = Type.Object({
  id: Uuid,
  conversationId: Uuid,
  seq: Type.Integer({ minimum: 1 }),
  senderId: Uuid,
  clientMsgId: Type.String(),
  body: Type.String({ description: 'Empty once deleted.' }),
  createdAt: Instant,
  editedAt: Nullable(Instant),
  deletedAt: Nullable(Instant),
  // Immutable: the domain types hand out readonly arrays.
  reactions: Type.Immutable(Type.Array(Type.Object({ emoji: Type.String(), count: Type.Integer({ minimum: 1 }) }))),
});
const Conversation = Type.Object({
  id: Uuid,
  type: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
  name: Nullable(Type.String()),
  createdBy: Uuid,
  members: Type.Immutable(
    Type.Array(
      Type.Object({
        id: Uuid,
        displayName: Type.String(),
        role: Type.Union([Type.Literal('owner'), Type.Literal('member')]),
        readSeq: Type.Integer({ minimum: 0, description: 'The highest seq this member has read.' }),
        deliveredSeq: Type.Integer({ minimum: 0, description: 'The highest seq any device of this member has received.' }),
      }),
    ),
  ),
  lastSeq: Type.Integer({ minimum: 0 }),
  createdAt: Instant,
  updatedAt: Instant,
  lastActivityAt: Instant,
});
const ConversationItem = Type.Intersect([Conversation, Type.Object({ lastMessage: Nullable(ChatMessage), unreadCount: Type.Integer({ minimum: 0 }) })]);

// The most any CHAT_GROUP_MAX_MEMBERS allows; the configured cap answers GROUP_FULL.
const MemberIds = Type.Array(Uuid, { maxItems: 10_000 });
const GroupName = Type.String({ minLength: 1, maxLength: 100 });
const CreateBody = Type.Union([
  Type.Object({ type: Type.Literal('direct'), userId: Uuid }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('group'), name: GroupName, memberIds: MemberIds }, { additionalProperties: false }),
]);
const RenameBody = Type.Object({ name: GroupName }, { additionalProperties: false });
const AddMembersBody = Type.Object({ userIds: Type.Array(Uuid, { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false });
const SendBody = Type.Object({ clientMsgId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), body: Type.String() }, { additionalProperties: false });
const EditBody = Type.Object({ body: Type.String() }, { additionalProperties: false });

const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const MemberParams = Type.Object({ id: Uuid, userId: Uuid }, { additionalProperties: false });
const ReactionParams = Type.Object({ id: Uuid, emoji: Type.String({ minLength: 1, maxLength: 16 }) }, { additionalProperties: false });

const HistoryQuery = Type.Object(
  {
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The newest messages with a smaller seq.' })),
    after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'The oldest messages with a greater seq (not with `before`).' })),
    // Optional for clients, always a number for the handler: validation fills in the default.
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })) as unknown as ReturnType<typeof Type.Integer>,
  },
  { additionalProperties: false },
);
const ListQuery = pageQuery();
const SearchQuery = pageQuery({}, { q: Type.String({ minLength: 1, maxLength: 256 }), conversationId: Type.Optional(Uuid) });

/** Newest-first keys: (lastActivityAt, id) for conversations, (createdAt, id) for search hits. */
const codec = cursorCodec(Type.Tuple([CursorTime, CursorId]));
const positionOf = (cursor: string | undefined): { at: Date; id: string } | undefined => {
  const key = codec.decode(cursor);
  return key === undefined ? undefined : { at: new Date(key[0]), id: key[1] };
};

/*
 * An emoji and its modifiers: starting with a pictograph or a flag's regional indicator, then
 * pictographs, skin tones, ZWJ, variation selectors, keycaps and tags (no ASCII), at most 16 code units.
 */
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator})(?:\p{Extended_Pictographic}|(?![#*0-9])\p{Emoji_Component}|\u200d|\ufe0f)*$/u;
function emojiOf(raw: string): string {
  if (raw.length > 16 || !EMOJI.test(raw)) throw new AppError('VALIDATION_FAILED', 'not an emoji', { errors: [{ path: 'params/emoji', message: 'must be an emoji of at most 16 code units' }] });
  return raw;
}

const actorOf = (request: FastifyRequest): Actor => {
  const user = userOf(request);
  return { userId: user.userId, admin: user.roles.includes('ADMIN') };
};

/** Conversations, members, messages, reactions and search under /chat (user tokens). */
export async function messagingRoutes(app: App, conversations: ConversationsService, messages: MessagingService): Promise<void> {
  const security = [{ bearer: [] }];
  const tags = ['conversations'];

  app.post('/chat/conversations', { schema: { tags, security, body: CreateBody, response: { 200: Conversation, 201: Conversation } } }, async (request, reply) => {
    const me = userOf(request).userId;
    const body = request.body;
    if (body.type === 'direct') {
      const { conversation, created } = await conversations.direct(me, body.userId);
      return reply.code(created ? 201 : 200).send(conversation);
    }
    return reply.code(201).send(await conversations.group(me, body.name, body.memberIds));
  });

  app.get('/chat/conversations', { schema: { tags, security, querystring: ListQuery, response: { 200: Page(ConversationItem) } } }, async (request) => {
    const { cursor, limit } = request.query;
    const rows = await conversations.list(userOf(request).userId, { after: positionOf(cursor), take: limit + 1 });
    return toPage(rows, limit, (c) => codec.encode([c.lastActivityAt, c.id]));
  });

  app.get('/chat/conversations/:id', { schema: { tags, security, params: IdParams, response: { 200: Conversation } } }, async (request) =>
    conversations.get(actorOf(request), request.params.id),
  );

  app.patch('/chat/conversations/:id', { schema: { tags, security, params: IdParams, body: RenameBody, response: { 200: Conversation } } }, async (request) =>
    conversations.rename(actorOf(request), request.params.id, request.body.name),
  );

  app.post('/chat/conversations/:id/members', { schema: { tags, security, params: IdParams, body: AddMembersBody, response: { 200: Conversation } } }, async (request) =>
    conversations.addMembers(actorOf(request), request.params.id, request.body.userIds),
  );

  app.delete('/chat/conversations/:id/members/:userId', { schema: { tags, security, params: MemberParams } }, async (request, reply) => {
    await conversations.removeMember(actorOf(request), request.params.id, request.params.userId);
    return reply.code(204).send();
  });

  const messageTags = ['messages'];

  app.get('/chat/conversations/:id/messages', { schema: { tags: messageTags, security, params: IdParams, querystring: HistoryQuery, response: { 200: Page(ChatMessage) } } }, async (request) => {
    const { before, after, limit } = request.query;
    if (before !== undefined && after !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'before and after cannot be used together', { errors: [{ path: 'querystring', message: 'must not have both before and after' }] });
    }
    return messages.history(userOf(request).userId, request.params.id, { before, after, limit });
  });

  app.post('/chat/conversations/:id/messages', { schema: { tags: messageTags, security, params: IdParams, body: SendBody, response: { 200: ChatMessage, 201: ChatMessage } } }, async (request, reply) => {
    const { message, created } = await messages.sendOnce({ conversationId: request.params.id, senderId: userOf(request).userId, ...request.body });
    // 200: a repeated clientMsgId, answered with the message stored the first time.
    return reply.code(created ? 201 : 200).send(message);
  });

  app.patch('/chat/messages/:id', { schema: { tags: messageTags, security, params: IdParams, body: EditBody, response: { 200: ChatMessage } } }, async (request) =>
    messages.edit(userOf(request).userId, request.params.id, request.body.body),
  );

  app.delete('/chat/messages/:id', { schema: { tags: messageTags, security, params: IdParams } }, async (request, reply) => {
    await messages.remove(actorOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.put('/chat/messages/:id/reactions/:emoji', { schema: { tags: messageTags, security, params: ReactionParams, response: { 200: ChatMessage } } }, async (request) =>
    messages.react(userOf(request).userId, request.params.id, emojiOf(request.params.emoji), true),
  );

  app.delete('/chat/messages/:id/reactions/:emoji', { schema: { tags: messageTags, security, params: ReactionParams, response: { 200: ChatMessage } } }, async (request) =>
    messages.react(userOf(request).userId, request.params.id, emojiOf(request.params.emoji), false),
  );

  app.get('/chat/search', { schema: { tags: messageTags, security, querystring: SearchQuery, response: { 200: Page(ChatMessage) } } }, async (request) => {
    const { q, conversationId, cursor, limit } = request.query;
    const rows = await messages.search(userOf(request).userId, { text: q, conversationId, after: positionOf(cursor), take: limit + 1 });
    return toPage(rows, limit, (m) => codec.encode([m.createdAt, m.id]));
  });
}

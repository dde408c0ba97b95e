import { Type } from 'typebox';
import { cursorCodec, CursorId, CursorTime, Page, pageQuery, toPage, type App } from '@realchat/http';
import { userOf } from '../http.js';
import type { PagePosition } from './people.repository.js';
import type { DatedSummary, PeopleService } from './people.service.js';

const Uuid = Type.String({ format: 'uuid' });
const UserSummary = Type.Object({ id: Uuid, displayName: Type.String() });
const FriendRequest = Type.Object({
  id: Uuid,
  direction: Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')]),
  status: Type.Union([Type.Literal('pending'), Type.Literal('accepted')]),
  user: UserSummary,
  createdAt: Type.String({ format: 'date-time' }),
});
const Friend = Type.Object({ id: Uuid, displayName: Type.String(), since: Type.String({ format: 'date-time' }) });
const Blocked = Type.Object({ id: Uuid, displayName: Type.String(), blockedAt: Type.String({ format: 'date-time' }) });

// Exactly one of the two: an object with both fields matches neither branch.
const RequestBody = Type.Union([
  Type.Object({ userId: Uuid }, { additionalProperties: false }),
  Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }) }, { additionalProperties: false }),
]);
/** The answer to a request by email, whoever the address names (or none): it says nothing of them. */
const EmailRequestAnswer = Type.Object({ status: Type.Literal('received'), detail: Type.String() });
const EMAIL_REQUEST_ANSWER = { status: 'received' as const, detail: 'If this address belongs to someone you can befriend, they have your request.' };

const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
const UserIdParams = Type.Object({ userId: Uuid }, { additionalProperties: false });
const BlockBody = Type.Object({ userId: Uuid }, { additionalProperties: false });
const RequestsQuery = pageQuery({}, { direction: Type.Optional(Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')], { description: 'Only these; absent: both, newest first.' })) });
const ListQuery = pageQuery();

/** Newest-first lists by (time, id): pending requests, friends, blocks. */
const codec = cursorCodec(Type.Tuple([CursorTime, CursorId]));
const positionOf = (cursor: string | undefined): PagePosition | undefined => {
  const key = codec.decode(cursor);
  return key === undefined ? undefined : { at: new Date(key[0]), id: key[1] };
};
const cursorOf = (row: { readonly at: Date; readonly id: string }): string => codec.encode([row.at.toISOString(), row.id]);

/** Friends, friend requests and blocks under /chat (user tokens). */
export async function peopleRoutes(app: App, people: PeopleService): Promise<void> {
  const tags = ['people'];
  const security = [{ bearer: [] }];

  app.post(
    '/chat/friends/requests',
    { schema: { tags, security, body: RequestBody, response: { 200: FriendRequest, 201: FriendRequest, 202: EmailRequestAnswer } } },
    async (request, reply) => {
      const me = userOf(request).userId;
      const body = request.body;
      if ('email' in body) {
        const task = await people.requestByEmail(me, body.email);
        // Only once the answer left: on PGlite the request's queries would hold it back, and an
        // answer slower for an account than for none would tell it apart. 'close' also follows an abort.
        reply.raw.once('close', task);
        return reply.code(202).send(EMAIL_REQUEST_ANSWER);
      }
      const made = await people.requestById(me, body.userId);
      // 200 when the other's pending request was accepted instead of a new one made.
      return reply.code(made.status === 'accepted' ? 200 : 201).send(made);
    },
  );

  app.get('/chat/friends/requests', { schema: { tags, security, querystring: RequestsQuery, response: { 200: Page(FriendRequest) } } }, async (request) => {
    const { cursor, limit, direction } = request.query;
    const rows = await people.listRequests(userOf(request).userId, { direction, after: positionOf(cursor), take: limit + 1 });
    return toPage(rows, limit, (r) => cursorOf({ at: r.createdAt, id: r.id }), (r) => r.view);
  });

  app.post('/chat/friends/requests/:id/accept', { schema: { tags, security, params: IdParams, response: { 200: Friend } } }, async (request) =>
    toFriend(await people.accept(userOf(request).userId, request.params.id)),
  );

  app.post('/chat/friends/requests/:id/decline', { schema: { tags, security, params: IdParams } }, async (request, reply) => {
    await people.answer(userOf(request).userId, request.params.id, 'declined');
    return reply.code(204).send();
  });

  app.delete('/chat/friends/requests/:id', { schema: { tags, security, params: IdParams } }, async (request, reply) => {
    await people.answer(userOf(request).userId, request.params.id, 'cancelled');
    return reply.code(204).send();
  });

  app.get('/chat/friends', { schema: { tags, security, querystring: ListQuery, response: { 200: Page(Friend) } } }, async (request) => {
    const { cursor, limit } = request.query;
    const rows = await people.listFriends(userOf(request).userId, { after: positionOf(cursor), take: limit + 1 });
    return toPage(rows, limit, cursorOf, toFriend);
  });

  app.delete('/chat/friends/:userId', { schema: { tags, security, params: UserIdParams } }, async (request, reply) => {
    await people.unfriend(userOf(request).userId, request.params.userId);
    return reply.code(204).send();
  });

  app.get('/chat/blocks', { schema: { tags, security, querystring: ListQuery, response: { 200: Page(Blocked) } } }, async (request) => {
    const { cursor, limit } = request.query;
    const rows = await people.listBlocked(userOf(request).userId, { after: positionOf(cursor), take: limit + 1 });
    return toPage(rows, limit, cursorOf, toBlocked);
  });

  app.post('/chat/blocks', { schema: { tags, security, body: BlockBody, response: { 200: Blocked } } }, async (request) =>
    toBlocked(await people.block(userOf(request).userId, request.body.userId)),
  );

  app.delete('/chat/blocks/:userId', { schema: { tags, security, params: UserIdParams } }, async (request, reply) => {
    await people.unblock(userOf(request).userId, request.params.userId);
    return reply.code(204).send();
  });
}

const toFriend = (u: DatedSummary) => ({ id: u.id, displayName: u.displayName, since: u.at.toISOString() });
const toBlocked = (u: DatedSummary) => ({ id: u.id, displayName: u.displayName, blockedAt: u.at.toISOString() });

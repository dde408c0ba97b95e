import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, newId } from '@realchat/contracts';
import { profilesConsumer } from '@realchat/profiles';
import type { PeopleService } from '../src/people/people.service.js';
import { call, eventually, signUp, startChat, uniqueEmail, variants, type ChatHarness, type TestUser } from './harness.js';

interface FriendRequest {
  id: string;
  direction: 'incoming' | 'outgoing';
  status: 'pending' | 'accepted';
  user: { id: string; displayName: string };
  createdAt: string;
}
interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}
interface Problem {
  code: string;
}

describe.each(variants)('people: the user projection, friends and blocks (%s)', (variant) => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChat(variant);
  });
  afterAll(async () => {
    await h?.close();
  });

  const projected = async (id: string): Promise<string | undefined> =>
    (await h.db.query<{ displayName: string }>('select display_name as "displayName" from chat.users where id = $1', [id])).rows[0]?.displayName;
  const request = (from: TestUser, to: { userId: string } | { email: string }) => call<FriendRequest & Partial<Problem>>(h, from, 'POST', '/chat/friends/requests', to);
  const requests = async (user: TestUser, query = '') => (await call<PageOf<FriendRequest>>(h, user, 'GET', `/chat/friends/requests${query}`)).body.items;
  const friends = async (user: TestUser) => (await call<PageOf<{ id: string; displayName: string; since: string }>>(h, user, 'GET', '/chat/friends')).body.items;
  const friendshipRows = async (a: string, b: string) =>
    (await h.db.query('select 1 from chat.friendships where user_low = least($1::uuid, $2::uuid) and user_high = greatest($1::uuid, $2::uuid)', [a, b])).rows.length;
  const eventsOf = (type: string, requestId: string) => h.events.filter((e) => e.type === type && (e.data as { requestId: string }).requestId === requestId);
  /** Two signed-up users who are friends. */
  const befriend = async (a: TestUser, b: TestUser) => {
    const sent = await request(a, { userId: b.id });
    expect((await call(h, b, 'POST', `/chat/friends/requests/${sent.body.id}/accept`)).status).toBe(200);
  };

  it('projects users from user.created and user.updated (auth\'s PATCH /auth/me), end to end', async () => {
    const ada = await signUp(h, 'Ada');
    await eventually(async () => (await projected(ada.id)) === 'Ada');
    const patched = await call<{ displayName: string }>(h, ada, 'PATCH', '/auth/me', { displayName: '  Ada Lovelace ' });
    expect([patched.status, patched.body.displayName]).toEqual([200, 'Ada Lovelace']);
    await eventually(async () => (await projected(ada.id)) === 'Ada Lovelace');
    expect(h.events.find((e) => e.type === 'user.updated' && (e.data as { userId: string }).userId === ada.id)?.data).toMatchObject({ displayName: 'Ada Lovelace' });
    expect(await h.chat.people.find(ada.id)).toEqual({ id: ada.id, displayName: 'Ada Lovelace' });
    const bad = await call<Problem>(h, ada, 'PATCH', '/auth/me', { displayName: '   ' });
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('never lets an older event overwrite a newer row, whatever order they come in', async () => {
    const consumer = profilesConsumer('chat');
    const id = newId();
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const updated = (name: string, s: number) => createEvent('user.updated', { userId: id, displayName: name, updatedAt: at(s).toISOString() }, { producer: 'auth', occurredAt: at(s) });
    await consumer.handle(updated('Second', 2), h.db);
    await consumer.handle(createEvent('user.created', { userId: id, displayName: 'First', roles: ['STUDENT'], createdAt: at(0).toISOString() }, { producer: 'auth', occurredAt: at(0) }), h.db);
    expect(await projected(id)).toBe('Second');
    await consumer.handle(updated('Older', 1), h.db);
    await consumer.handle(updated('Same time', 2), h.db);
    expect(await projected(id)).toBe('Second');
    await consumer.handle(updated('Third', 3), h.db);
    expect(await projected(id)).toBe('Third');
  });

  it('falls back to auth for a user the projection has not seen, and keeps the answer', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await eventually(async () => (await projected(bob.id)) === 'Bob');
    await h.db.query('delete from chat.users where id = $1', [bob.id]);
    const sent = await request(ada, { userId: bob.id });
    expect([sent.status, sent.body.user]).toEqual([201, { id: bob.id, displayName: 'Bob' }]);
    expect(await projected(bob.id)).toBe('Bob');

    // An account auth has and chat never heard of (no event at all).
    const ghost = newId();
    const now = h.clock.now();
    await h.db.query(
      `insert into auth.users (id, email, display_name, password_hash, roles, created_at, updated_at, password_changed_at) values ($1, $2, 'Ghost', 'x', array['STUDENT'], $3, $3, $3)`,
      [ghost, uniqueEmail(), now],
    );
    expect(await projected(ghost)).toBeUndefined();
    expect(await h.chat.people.find(ghost)).toEqual({ id: ghost, displayName: 'Ghost' });
    expect(await projected(ghost)).toBe('Ghost');
    expect(await h.chat.people.find(newId())).toBeNull();
    expect(await h.chat.people.find('not-a-uuid')).toBeNull();
  });

  it('sends, lists and accepts a request by user id, with its events; refuses what the rules refuse', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    const sent = await request(ada, { userId: bob.id });
    expect(sent.status).toBe(201);
    expect(sent.body).toEqual({ id: expect.any(String), direction: 'outgoing', status: 'pending', user: { id: bob.id, displayName: 'Bob' }, createdAt: expect.any(String) });
    await eventually(() => eventsOf('chat.friend_request.created', sent.body.id).length === 1);
    expect(eventsOf('chat.friend_request.created', sent.body.id)[0]?.data).toEqual({ requestId: sent.body.id, fromUserId: ada.id, toUserId: bob.id, createdAt: sent.body.createdAt });

    expect(await requests(ada)).toEqual([sent.body]);
    expect(await requests(ada, '?direction=incoming')).toEqual([]);
    expect(await requests(bob)).toEqual([{ ...sent.body, direction: 'incoming', user: { id: ada.id, displayName: 'Ada' } }]);
    expect(await requests(bob, '?direction=incoming')).toHaveLength(1);

    const again = await request(ada, { userId: bob.id });
    expect([again.status, again.body.code]).toEqual([409, 'FRIEND_REQUEST_PENDING']);
    const self = await request(ada, { userId: ada.id });
    expect([self.status, self.body.code]).toEqual([400, 'SELF_TARGET']);
    const nobody = await request(ada, { userId: newId() });
    expect([nobody.status, nobody.body.code]).toEqual([404, 'NOT_FOUND']);

    const accepted = await call<{ id: string; displayName: string; since: string }>(h, bob, 'POST', `/chat/friends/requests/${sent.body.id}/accept`);
    expect([accepted.status, accepted.body]).toEqual([200, { id: ada.id, displayName: 'Ada', since: expect.any(String) }]);
    await eventually(() => eventsOf('chat.friend_request.accepted', sent.body.id).length === 1);
    expect(eventsOf('chat.friend_request.accepted', sent.body.id)[0]?.data).toEqual({ requestId: sent.body.id, fromUserId: ada.id, toUserId: bob.id, acceptedAt: accepted.body.since });
    expect(await friends(ada)).toEqual([{ id: bob.id, displayName: 'Bob', since: accepted.body.since }]);
    expect(await friends(bob)).toEqual([{ id: ada.id, displayName: 'Ada', since: accepted.body.since }]);
    expect(await h.chat.people.friendIds(ada.id)).toEqual([bob.id]);
    expect(await requests(ada)).toEqual([]);
    for (const [from, to] of [[ada, bob], [bob, ada]] as const) {
      const friendsAlready = await request(from, { userId: to.id });
      expect([friendsAlready.status, friendsAlready.body.code]).toEqual([409, 'ALREADY_FRIENDS']);
    }
  });

  it('accepts the other\'s pending request when both want it', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    const first = await request(ada, { userId: bob.id });
    const crossed = await request(bob, { userId: ada.id });
    expect(crossed.status).toBe(200);
    expect(crossed.body).toEqual({ id: first.body.id, direction: 'incoming', status: 'accepted', user: { id: ada.id, displayName: 'Ada' }, createdAt: first.body.createdAt });
    expect(await friendshipRows(ada.id, bob.id)).toBe(1);
    await eventually(() => eventsOf('chat.friend_request.accepted', first.body.id).length === 1);
  });

  it('lets only the recipient accept or decline, and only the sender cancel (404 for anyone else)', async () => {
    const [ada, bob, eve] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Eve')];
    const sent = await request(ada, { userId: bob.id });
    const path = `/chat/friends/requests/${sent.body.id}`;
    for (const [user, method, suffix] of [[eve, 'POST', '/accept'], [ada, 'POST', '/accept'], [eve, 'POST', '/decline'], [ada, 'POST', '/decline'], [bob, 'DELETE', ''], [eve, 'DELETE', '']] as const) {
      const res = await call<Problem>(h, user, method, `${path}${suffix}`);
      expect([user.displayName, method, suffix, res.status, res.body.code]).toEqual([user.displayName, method, suffix, 404, 'NOT_FOUND']);
    }
    expect((await call(h, ada, 'DELETE', path)).status).toBe(204);
    expect((await call(h, bob, 'POST', `${path}/accept`)).status).toBe(404);
    expect(await requests(bob)).toEqual([]);

    const again = await request(ada, { userId: bob.id });
    expect(again.status).toBe(201);
    expect((await call(h, bob, 'POST', `/chat/friends/requests/${again.body.id}/decline`)).status).toBe(204);
    expect((await call(h, bob, 'POST', `/chat/friends/requests/${again.body.id}/accept`)).status).toBe(404);
    expect(await friendshipRows(ada.id, bob.id)).toBe(0);
    expect(eventsOf('chat.friend_request.accepted', again.body.id)).toEqual([]);
    // Declined is not forever: a new request may follow.
    expect((await request(ada, { userId: bob.id })).status).toBe(201);
    expect((await call(h, ada, 'POST', `/chat/friends/requests/${newId()}/accept`)).status).toBe(404);
  });

  it('removes a friend, once', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await befriend(ada, bob);
    expect((await call(h, ada, 'DELETE', `/chat/friends/${bob.id}`)).status).toBe(204);
    expect(await friends(bob)).toEqual([]);
    expect(await h.chat.people.friendIds(bob.id)).toEqual([]);
    const twice = await call<Problem>(h, ada, 'DELETE', `/chat/friends/${bob.id}`);
    expect([twice.status, twice.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('blocks: ends the friendship, cancels pending requests both ways, refuses requests either way; idempotent both ways', async () => {
    const [ada, bob, cid] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cid')];
    await befriend(ada, bob);
    const pending = await request(cid, { userId: ada.id });
    const blocked = await call<{ id: string; displayName: string; blockedAt: string }>(h, ada, 'POST', '/chat/blocks', { userId: bob.id });
    expect([blocked.status, blocked.body]).toEqual([200, { id: bob.id, displayName: 'Bob', blockedAt: expect.any(String) }]);
    h.clock.advance(1_000);
    const again = await call(h, ada, 'POST', '/chat/blocks', { userId: bob.id });
    expect([again.status, again.body]).toEqual([blocked.status, blocked.body]);
    expect((await call(h, ada, 'POST', '/chat/blocks', { userId: cid.id })).status).toBe(200);
    expect(await friends(ada)).toEqual([]);
    expect(await requests(ada)).toEqual([]);
    expect(await requests(cid)).toEqual([]);
    expect((await call(h, ada, 'POST', `/chat/friends/requests/${pending.body.id}/accept`)).status).toBe(404);
    const list = await call<PageOf<{ id: string }>>(h, ada, 'GET', '/chat/blocks');
    expect(list.body.items.map((b) => b.id)).toEqual([cid.id, bob.id]);
    const blocks = await call(h, bob, 'GET', '/chat/blocks');
    expect([blocks.status, blocks.body]).toEqual([200, { items: [], nextCursor: null }]);
    expect([await h.chat.people.blockedBetween(ada.id, bob.id), await h.chat.people.blockedBetween(bob.id, ada.id)]).toEqual([true, true]);

    for (const [from, to] of [[ada, bob], [bob, ada]] as const) {
      const res = await request(from, { userId: to.id });
      expect([res.status, res.body.code]).toEqual([403, 'BLOCKED']);
    }
    const self = await call<Problem>(h, ada, 'POST', '/chat/blocks', { userId: ada.id });
    expect([self.status, self.body.code]).toEqual([400, 'SELF_TARGET']);
    expect((await call(h, ada, 'POST', '/chat/blocks', { userId: newId() })).status).toBe(404);

    expect((await call(h, ada, 'DELETE', `/chat/blocks/${bob.id}`)).status).toBe(204);
    expect((await call(h, ada, 'DELETE', `/chat/blocks/${bob.id}`)).status).toBe(204);
    expect(await h.chat.people.blockedBetween(bob.id, ada.id)).toBe(false);
    expect((await request(bob, { userId: ada.id })).status).toBe(201);
  });

  it('answers a request by email the same for an unknown, a known, a blocked address and a friend\'s, and only the known one gets it', async () => {
    const [ada, bob, eve, cid] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Eve'), await signUp(h, 'Cid')];
    expect((await call(h, eve, 'POST', '/chat/blocks', { userId: ada.id })).status).toBe(200);
    await befriend(ada, cid);
    const answers = [
      await request(ada, { email: uniqueEmail() }),
      await request(ada, { email: ` ${bob.email.toUpperCase()}`.trim() }),
      await request(ada, { email: eve.email }),
      await request(ada, { email: cid.email }),
      await request(ada, { email: bob.email }),
    ];
    for (const answer of answers) expect([answer.status, answer.body]).toEqual([answers[0]?.status, answers[0]?.body]);
    expect(answers[0]?.status).toBe(202);
    expect(JSON.stringify(answers[0]?.body)).not.toMatch(/Bob|Eve|@/);
    // The requests are made after the answer (202 Accepted): wait for them to be done.
    await eventually(async () => (await requests(ada)).length > 0);
    await (h.chat.people as PeopleService).idle();
    expect((await requests(ada)).map((r) => r.user.id)).toEqual([bob.id]);
    expect(await requests(eve)).toEqual([]);
    await eventually(() => h.events.some((e) => e.type === 'chat.friend_request.created' && (e.data as { toUserId: string }).toUserId === bob.id));
    const self = await request(ada, { email: ada.email });
    expect([self.status, self.body.code]).toEqual([400, 'SELF_TARGET']);
  });

  it('turns two crossed requests sent at once into one friendship, never a 500', async () => {
    for (let round = 0; round < 3; round++) {
      const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
      const [one, two] = await Promise.all([request(ada, { userId: bob.id }), request(bob, { userId: ada.id })]);
      expect([one.status, two.status].sort()).toEqual([200, 201]);
      expect(await friendshipRows(ada.id, bob.id)).toBe(1);
      expect(await requests(ada)).toEqual([]);
      const same = await Promise.all([request(ada, { userId: bob.id }), request(ada, { userId: bob.id })]);
      expect(same.map((r) => [r.status, r.body.code])).toEqual([[409, 'ALREADY_FRIENDS'], [409, 'ALREADY_FRIENDS']]);
    }
    const [cid, dan] = [await signUp(h, 'Cid'), await signUp(h, 'Dan')];
    const twice = await Promise.all([request(cid, { userId: dan.id }), request(cid, { userId: dan.id })]);
    expect(twice.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('pages friends, requests and blocks newest first', async () => {
    const ada = await signUp(h, 'Ada');
    const others = [await signUp(h, 'B1'), await signUp(h, 'B2'), await signUp(h, 'B3')];
    for (const other of others) {
      h.clock.advance(1_000);
      await befriend(other, ada);
    }
    const first = await call<PageOf<{ id: string }>>(h, ada, 'GET', '/chat/friends?limit=2');
    expect(first.body.items.map((f) => f.id)).toEqual([others[2]!.id, others[1]!.id]);
    const rest = await call<PageOf<{ id: string }>>(h, ada, 'GET', `/chat/friends?limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ id: others[0]!.id })], nextCursor: null });
    const carol = await signUp(h, 'Carol');
    for (const other of others) {
      h.clock.advance(1_000);
      await request(other, { userId: carol.id });
    }
    const incoming = await call<PageOf<FriendRequest>>(h, carol, 'GET', '/chat/friends/requests?direction=incoming&limit=2');
    const next = await call<PageOf<FriendRequest>>(h, carol, 'GET', `/chat/friends/requests?direction=incoming&limit=2&cursor=${incoming.body.nextCursor}`);
    expect([...incoming.body.items, ...next.body.items].map((r) => r.user.id)).toEqual([others[2]!.id, others[1]!.id, others[0]!.id]);
  });

  it('refuses bad input with 4xx and a code, and callers without a user token', async () => {
    const ada = await signUp(h, 'Ada');
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/chat/friends/requests', {}, 400, 'VALIDATION_FAILED'],
      ['POST', '/chat/friends/requests', { userId: ada.id, email: ada.email }, 400, 'VALIDATION_FAILED'],
      ['POST', '/chat/friends/requests', { userId: 'nope' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/chat/friends/requests', { email: 'not an address' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/chat/friends/requests', { email: `${'a'.repeat(250)}@example.com` }, 400, 'VALIDATION_FAILED'],
      ['POST', '/chat/friends/requests/nope/accept', undefined, 400, 'VALIDATION_FAILED'],
      ['POST', '/chat/friends/requests/nope/decline', undefined, 400, 'VALIDATION_FAILED'],
      ['DELETE', '/chat/friends/requests/nope', undefined, 400, 'VALIDATION_FAILED'],
      ['DELETE', '/chat/friends/nope', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/chat/friends?limit=1000', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/chat/friends?cursor=garbage', undefined, 400, 'INVALID_CURSOR'],
      ['GET', '/chat/friends/requests?direction=sideways', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/chat/blocks?other=1', undefined, 400, 'VALIDATION_FAILED'],
      ['POST', '/chat/blocks', { userId: ada.id, extra: true }, 400, 'VALIDATION_FAILED'],
      ['POST', '/chat/blocks', { userId: 'nope' }, 400, 'VALIDATION_FAILED'],
      ['DELETE', '/chat/blocks/nope', undefined, 400, 'VALIDATION_FAILED'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call<Problem>(h, ada, method, path, body);
      expect([method, path, res.status, res.body.code]).toEqual([method, path, status, code]);
    }
    const malformed = await fetch(`${h.base}/chat/friends/requests`, { method: 'POST', headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json' }, body: '{' });
    expect(malformed.status).toBe(400);
    for (const [method, path] of [['GET', '/chat/friends'], ['GET', '/chat/friends/requests'], ['GET', '/chat/blocks'], ['POST', '/chat/blocks'], ['DELETE', `/chat/friends/${ada.id}`]] as const) {
      expect((await call(h, null, method, path, method === 'POST' ? { userId: ada.id } : undefined)).status).toBe(401);
    }
  });
});

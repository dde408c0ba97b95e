import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@realchat/contracts';
import type { ChatContext } from '../src/context.js';
import type { ChatMessage, Conversation, LiveFrame, LiveHub } from '../src/domain/types.js';
import { ConversationsService } from '../src/messaging/conversations.service.js';
import { call, PASSWORD, signUp, startChat, variants, type ChatHarness, type TestUser } from './harness.js';

interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}
interface Problem {
  code: string;
}
type Item = Conversation & { lastMessage: ChatMessage | null; unreadCount: number };

const MAX_MEMBERS = 4;

describe.each(variants)('conversations: direct ones, groups and their members (%s)', (variant) => {
  let h: ChatHarness;
  beforeAll(async () => {
    h = await startChat(variant, { env: { CHAT_GROUP_MAX_MEMBERS: String(MAX_MEMBERS) } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const befriend = async (a: TestUser, b: TestUser) => {
    const sent = await call<{ id: string }>(h, a, 'POST', '/chat/friends/requests', { userId: b.id });
    expect(sent.status).toBe(201);
    expect((await call(h, b, 'POST', `/chat/friends/requests/${sent.body.id}/accept`)).status).toBe(200);
  };
  /** `user` made ADMIN in auth, signed in again for a token that says so. */
  const promote = async (user: TestUser): Promise<TestUser> => {
    await h.db.query(`update auth.users set roles = array['ADMIN', 'STUDENT'] where id = $1`, [user.id]);
    const login = await call<{ access_token: string }>(h, null, 'POST', '/auth/login', { email: user.email, password: PASSWORD });
    expect(login.status).toBe(200);
    return { ...user, token: login.body.access_token };
  };
  const create = (user: TestUser, body: unknown) => call<Conversation & Problem>(h, user, 'POST', '/chat/conversations', body);
  const get = (user: TestUser, id: string) => call<Conversation & Problem>(h, user, 'GET', `/chat/conversations/${id}`);
  const send = (user: TestUser, id: string, body: string) => call<ChatMessage>(h, user, 'POST', `/chat/conversations/${id}/messages`, { clientMsgId: newId(), body });
  const list = (user: TestUser, query = '') => call<PageOf<Item> & Problem>(h, user, 'GET', `/chat/conversations${query}`);
  /** A group owned by the first, with the others (all befriended by the owner) as members. */
  const groupOf = async (owner: TestUser, ...members: TestUser[]) => {
    for (const m of members) await befriend(owner, m);
    const made = await create(owner, { type: 'group', name: 'Team', memberIds: members.map((m) => m.id) });
    expect(made.status).toBe(201);
    return made.body;
  };
  const roles = (c: Conversation) => Object.fromEntries(c.members.map((m) => [m.id, m.role]));

  it('makes a direct conversation between friends once: 201, then 200 with the same one from either side', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    expect((await create(ada, { type: 'direct', userId: bob.id })).body.code).toBe('NOT_FRIENDS');
    await befriend(ada, bob);
    const made = await create(ada, { type: 'direct', userId: bob.id });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ type: 'direct', name: null, createdBy: ada.id, lastSeq: 0 });
    expect(made.body.members.map((m) => m.id).sort()).toEqual([ada.id, bob.id].sort());
    expect(made.body.members.find((m) => m.id === bob.id)?.displayName).toBe('Bob');
    const again = await create(bob, { type: 'direct', userId: ada.id });
    expect([again.status, again.body.id]).toEqual([200, made.body.id]);

    // The existing conversation outlives the friendship; a block ends both.
    expect((await call(h, ada, 'DELETE', `/chat/friends/${bob.id}`)).status).toBe(204);
    expect((await create(ada, { type: 'direct', userId: bob.id })).status).toBe(200);
    expect((await call(h, bob, 'POST', '/chat/blocks', { userId: ada.id })).status).toBe(200);
    const blocked = await create(ada, { type: 'direct', userId: bob.id });
    expect([blocked.status, blocked.body.code]).toEqual([403, 'BLOCKED']);
  });

  it('refuses yourself, an unknown user and malformed bodies', async () => {
    const ada = await signUp(h, 'Ada');
    const self = await create(ada, { type: 'direct', userId: ada.id });
    expect([self.status, self.body.code]).toEqual([400, 'SELF_TARGET']);
    expect((await create(ada, { type: 'direct', userId: newId() })).status).toBe(404);
    for (const body of [{ type: 'direct' }, { type: 'channel', userId: ada.id }, { type: 'group', name: 'x' }, { type: 'group', name: 'x', memberIds: ['nope'] }, { type: 'direct', userId: ada.id, extra: 1 }]) {
      const res = await create(ada, body);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await create(ada, { type: 'group', name: '   ', memberIds: [] })).body.code).toBe('VALIDATION_FAILED');
  });

  it('ends concurrent direct creations by both users on one conversation', async () => {
    const [ada, bob] = [await signUp(h, 'Ada'), await signUp(h, 'Bob')];
    await befriend(ada, bob);
    const made = await Promise.all([create(ada, { type: 'direct', userId: bob.id }), create(bob, { type: 'direct', userId: ada.id }), create(ada, { type: 'direct', userId: bob.id })]);
    expect(new Set(made.map((r) => r.body.id)).size).toBe(1);
    expect(made.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    const { rows } = await h.db.query(`select id from chat.conversations where direct_key = $1`, [[ada.id, bob.id].sort().join(':')]);
    expect(rows).toHaveLength(1);
  });

  it('makes a group owned by its creator, with friends only, none blocked, within CHAT_GROUP_MAX_MEMBERS', async () => {
    const [ada, bob, cyd, dan, eve] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cyd'), await signUp(h, 'Dan'), await signUp(h, 'Eve')];
    for (const u of [bob, cyd, dan, eve]) await befriend(ada, u);
    const stranger = await signUp(h, 'Stranger');
    const notFriends = await create(ada, { type: 'group', name: 'Team', memberIds: [bob.id, stranger.id] });
    expect([notFriends.status, notFriends.body.code]).toEqual([403, 'NOT_FRIENDS']);
    const full = await create(ada, { type: 'group', name: 'Team', memberIds: [bob.id, cyd.id, dan.id, eve.id] });
    expect([full.status, full.body.code]).toEqual([409, 'GROUP_FULL']);

    const made = await create(ada, { type: 'group', name: '  Team  ', memberIds: [bob.id, cyd.id, bob.id, ada.id] });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ type: 'group', name: 'Team', createdBy: ada.id });
    expect(roles(made.body)).toEqual({ [ada.id]: 'owner', [bob.id]: 'member', [cyd.id]: 'member' });

    expect((await call(h, dan, 'POST', '/chat/blocks', { userId: ada.id })).status).toBe(200);
    const blocked = await create(ada, { type: 'group', name: 'Team', memberIds: [dan.id] });
    expect([blocked.status, blocked.body.code]).toEqual([403, 'BLOCKED']);
  });

  it('shows a conversation to its members and to ADMINs only', async () => {
    const [ada, bob, stranger] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Stranger')];
    const group = await groupOf(ada, bob);
    expect((await get(bob, group.id)).body).toEqual(group);
    const denied = await get(stranger, group.id);
    expect([denied.status, denied.body.code]).toEqual([403, 'NOT_A_MEMBER']);
    expect((await get(ada, newId())).status).toBe(404);
    expect((await get(ada, 'not-a-uuid')).status).toBe(400);
    const admin = await promote(await signUp(h, 'Admin'));
    expect((await get(admin, group.id)).body.id).toBe(group.id);
  });

  it('renames a group by its owner or an ADMIN; never a direct conversation', async () => {
    const [ada, bob, stranger] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Stranger')];
    const group = await groupOf(ada, bob);
    const rename = (user: TestUser, id: string, name: unknown) => call<Conversation & Problem>(h, user, 'PATCH', `/chat/conversations/${id}`, { name });
    h.clock.advance(1_000);
    const renamed = await rename(ada, group.id, ' Renamed ');
    expect([renamed.status, renamed.body.name]).toEqual([200, 'Renamed']);
    expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThan(Date.parse(group.updatedAt));
    expect((await rename(bob, group.id, 'Mine')).body.code).toBe('FORBIDDEN');
    expect((await rename(stranger, group.id, 'Mine')).body.code).toBe('NOT_A_MEMBER');
    expect((await rename(ada, group.id, ' ')).body.code).toBe('VALIDATION_FAILED');
    expect((await rename(ada, group.id, 'x'.repeat(101))).body.code).toBe('VALIDATION_FAILED');
    expect((await rename(ada, newId(), 'x')).status).toBe(404);
    const admin = await promote(await signUp(h, 'Admin'));
    expect((await rename(admin, group.id, 'Moderated')).body.name).toBe('Moderated');
    expect((await get(bob, group.id)).body.name).toBe('Moderated');

    await befriend(ada, stranger);
    const direct = await create(ada, { type: 'direct', userId: stranger.id });
    const refused = await rename(ada, direct.body.id, 'Us');
    expect([refused.status, refused.body.code]).toEqual([409, 'NOT_A_GROUP']);
  });

  it('adds the friends of the owner (or an ADMIN), idempotently, up to the cap', async () => {
    const [ada, bob, cyd, dan, eve] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cyd'), await signUp(h, 'Dan'), await signUp(h, 'Eve')];
    const group = await groupOf(ada, bob);
    const add = (user: TestUser, userIds: string[], id = group.id) => call<Conversation & Problem>(h, user, 'POST', `/chat/conversations/${id}/members`, { userIds });
    const m1 = await send(ada, group.id, 'before cyd joined');
    expect(m1.status).toBe(201);

    expect((await add(ada, [cyd.id])).body.code).toBe('NOT_FRIENDS');
    await befriend(ada, cyd);
    expect((await add(bob, [cyd.id])).body.code).toBe('FORBIDDEN');
    expect((await add(cyd, [cyd.id])).body.code).toBe('NOT_A_MEMBER');
    const added = await add(ada, [cyd.id, bob.id]);
    expect(added.status).toBe(200);
    expect(roles(added.body)).toEqual({ [ada.id]: 'owner', [bob.id]: 'member', [cyd.id]: 'member' });
    expect((await add(ada, [cyd.id])).body.members).toHaveLength(3);
    // A new member starts with nothing unread.
    const cydsList = await list(cyd);
    expect(cydsList.body.items.find((c) => c.id === group.id)).toMatchObject({ unreadCount: 0, lastMessage: { id: m1.body.id } });

    const admin = await promote(await signUp(h, 'Admin'));
    expect((await add(admin, [dan.id])).body.code).toBe('NOT_FRIENDS');
    await befriend(admin, dan);
    expect((await add(admin, [dan.id])).body.members).toHaveLength(MAX_MEMBERS);
    await befriend(ada, eve);
    expect((await add(ada, [eve.id])).body.code).toBe('GROUP_FULL');

    await befriend(bob, eve);
    const direct = await create(bob, { type: 'direct', userId: eve.id });
    expect((await add(bob, [cyd.id], direct.body.id)).body.code).toBe('NOT_A_GROUP');
    expect((await add(ada, ['nope'])).body.code).toBe('VALIDATION_FAILED');
    expect((await add(ada, [])).body.code).toBe('VALIDATION_FAILED');
  });

  it('removes members (owner or ADMIN), lets anyone leave, hands ownership to the oldest member and keeps an empty group', async () => {
    const [ada, bob, cyd, dan] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cyd'), await signUp(h, 'Dan')];
    const group = await groupOf(ada, bob, cyd, dan);
    const remove = (user: TestUser, userId: string, id = group.id) => call<Problem | null>(h, user, 'DELETE', `/chat/conversations/${id}/members/${userId}`);

    expect((await remove(bob, cyd.id))?.body?.code).toBe('FORBIDDEN');
    expect((await remove(ada, dan.id)).status).toBe(204);
    expect((await get(dan, group.id)).body.code).toBe('NOT_A_MEMBER');
    expect((await send(dan, group.id, 'still here?')).status).toBe(403);
    expect((await remove(ada, dan.id)).status).toBe(404);
    expect((await remove(dan, dan.id))?.body?.code).toBe('NOT_A_MEMBER');

    // The owner leaves: the member who joined first (the least id among equals) becomes owner.
    expect((await remove(ada, ada.id)).status).toBe(204);
    const after = (await get(bob, group.id)).body;
    const heir = [bob.id, cyd.id].sort()[0]!;
    expect(roles(after)).toEqual({ [bob.id]: heir === bob.id ? 'owner' : 'member', [cyd.id]: heir === cyd.id ? 'owner' : 'member' });

    const admin = await promote(await signUp(h, 'Admin'));
    expect((await remove(admin, heir)).status).toBe(204);
    const last = heir === bob.id ? cyd : bob;
    expect(roles((await get(last, group.id)).body)).toEqual({ [last.id]: 'owner' });
    expect((await remove(last, last.id)).status).toBe(204);
    // Kept, with nobody in it.
    expect((await get(admin, group.id)).body).toMatchObject({ id: group.id, members: [] });

    const direct = await create(ada, { type: 'direct', userId: bob.id });
    expect((await remove(ada, ada.id, direct.body.id))?.body?.code).toBe('NOT_A_GROUP');
  });

  it('lists my conversations newest activity first, in pages, with the last message and my unread count', async () => {
    const [ada, bob, cyd] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cyd')];
    await befriend(ada, bob);
    await befriend(ada, cyd);
    const empty = await list(ada);
    expect(empty.body).toEqual({ items: [], nextCursor: null });
    const withBob = (await create(ada, { type: 'direct', userId: bob.id })).body;
    h.clock.advance(1_000);
    const withCyd = (await create(ada, { type: 'direct', userId: cyd.id })).body;
    h.clock.advance(1_000);
    const group = (await create(ada, { type: 'group', name: 'All', memberIds: [bob.id, cyd.id] })).body;
    h.clock.advance(1_000);

    // A message moves its conversation to the top.
    await send(bob, withBob.id, 'one');
    const two = await send(bob, withBob.id, 'two');
    const mine = await send(ada, withBob.id, 'mine');
    const first = await list(ada, '?limit=2');
    expect(first.body.items.map((c) => c.id)).toEqual([withBob.id, group.id]);
    expect(first.body.items[0]).toMatchObject({ lastMessage: { id: mine.body.id, body: 'mine' }, unreadCount: 0, lastSeq: 3 });
    expect(first.body.items[1]).toMatchObject({ lastMessage: null, unreadCount: 0 });
    const second = await list(ada, `?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: withCyd.id })], nextCursor: null });

    // Bob's view: Ada's messages past his read seq are unread, his own never; a deleted one is not counted.
    const bobs = async () => (await list(bob)).body.items.find((c) => c.id === withBob.id)!;
    expect((await bobs()).unreadCount).toBe(1);
    const another = await send(ada, withBob.id, 'another');
    expect((await bobs()).unreadCount).toBe(2);
    expect(await h.chat.messaging.markRead(bob.id, withBob.id, 3)).toBe(3);
    expect((await bobs()).unreadCount).toBe(1);
    expect((await call(h, ada, 'DELETE', `/chat/messages/${another.body.id}`)).status).toBe(204);
    expect(await bobs()).toMatchObject({ unreadCount: 0, lastMessage: { id: another.body.id, body: '', deletedAt: expect.any(String) } });
    expect((await call(h, bob, 'DELETE', `/chat/messages/${two.body.id}`)).status).toBe(204);
    expect((await list(ada)).body.items.find((c) => c.id === withBob.id)?.unreadCount).toBe(0);

    const bad = await list(ada, '?cursor=not-a-cursor!');
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_CURSOR']);
    expect((await list(ada, '?limit=101')).status).toBe(400);
  });

  it('says where each member is (readSeq, deliveredSeq) in GET /:id and in my list: receipts survive a reload (issue 14)', async () => {
    const [ada, bob, cyd] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cyd')];
    const group = await groupOf(ada, bob, cyd);
    for (const body of ['one', 'two', 'three']) expect((await send(ada, group.id, body)).status).toBe(201);
    expect(await h.chat.messaging.markDelivered(bob.id, group.id, 3)).toBe(3);
    expect(await h.chat.messaging.markRead(bob.id, group.id, 2)).toBe(2);
    expect(await h.chat.messaging.markDelivered(cyd.id, group.id, 1)).toBe(1);
    const where = (c: Conversation) => Object.fromEntries(c.members.map((m) => [m.id, [m.readSeq, m.deliveredSeq]]));
    const expected = { [ada.id]: [3, 3], [bob.id]: [2, 3], [cyd.id]: [0, 1] };
    const got = await get(cyd, group.id);
    expect(got.status).toBe(200);
    expect(where(got.body)).toEqual(expected);
    const mine = (await list(bob)).body.items.find((c) => c.id === group.id);
    expect(mine && where(mine)).toEqual(expected);
  });

  it('tells the members of each change after its commit, and the one who left that it is gone', async () => {
    const [ada, bob, cyd] = [await signUp(h, 'Ada'), await signUp(h, 'Bob'), await signUp(h, 'Cyd')];
    for (const u of [bob, cyd]) await befriend(ada, u);
    const seen: Array<{ to: string[]; frame: LiveFrame }> = [];
    const hub: LiveHub = { deliver: (to, frame) => void seen.push({ to: [...to].sort(), frame }) };
    // A context on the harness's engines with a recording hub (the host keeps its own inside the module).
    const context = { env: { CHAT_GROUP_MAX_MEMBERS: MAX_MEMBERS }, db: h.db, clock: h.clock } as unknown as ChatContext; // only what conversations read
    const conversations = new ConversationsService(context, h.chat.people, hub);
    const actor = (u: TestUser) => ({ userId: u.id, admin: false });
    const take = () => seen.splice(0);
    const sorted = (...users: TestUser[]) => users.map((u) => u.id).sort();

    const direct = await conversations.direct(ada.id, bob.id);
    expect(take()).toEqual([{ to: sorted(ada, bob), frame: { type: 'conversation.updated', conversation: direct.conversation } }]);
    await conversations.direct(bob.id, ada.id);
    expect(take()).toEqual([]);

    const group = await conversations.group(ada.id, 'G', [bob.id]);
    expect(take()).toEqual([{ to: sorted(ada, bob), frame: { type: 'conversation.updated', conversation: group } }]);
    const renamed = await conversations.rename(actor(ada), group.id, 'H');
    expect(take()).toEqual([{ to: sorted(ada, bob), frame: { type: 'conversation.updated', conversation: renamed } }]);
    const grown = await conversations.addMembers(actor(ada), group.id, [cyd.id]);
    expect(take()).toEqual([{ to: sorted(ada, bob, cyd), frame: { type: 'conversation.updated', conversation: grown } }]);
    await conversations.removeMember(actor(ada), group.id, bob.id);
    expect(take()).toEqual([
      { to: [bob.id], frame: { type: 'conversation.removed', conversationId: group.id } },
      { to: sorted(ada, cyd), frame: { type: 'conversation.updated', conversation: expect.objectContaining({ id: group.id, members: [expect.objectContaining({ id: ada.id }), expect.objectContaining({ id: cyd.id })] }) } },
    ]);
    await expect(conversations.rename(actor(bob), group.id, 'X')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    expect(take()).toEqual([]);
  });
});

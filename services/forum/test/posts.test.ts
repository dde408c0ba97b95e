import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForumPostCreatedData } from '../src/index.js';
import { call, DEFAULT_CATEGORY_ID, eventually, promote, signUp, startForum, variants, type ForumHarness, type PageOf, type Problem, type TestUser } from './harness.js';

interface Post {
  id: string;
  categoryId: string;
  title: string;
  body: string;
  bodyFormat: string;
  author: { id: string; displayName: string };
  pinned: boolean;
  locked: boolean;
  commentCount: number;
  createdAt: string;
  editedAt: string | null;
  lastActivityAt: string;
}

describe.each(variants)('forum posts (%s)', (variant) => {
  let h: ForumHarness;
  let admin: TestUser;
  let ada: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    h = await startForum(variant, { env: { FORUM_POST_MAX_LENGTH: '50' } });
    admin = await promote(h, await signUp(h, 'Admin'));
    ada = await signUp(h, 'Ada Lovelace');
    bob = await signUp(h, 'Bob');
    // Mentions match the projection alone: wait for the forum's users consumer to have them.
    await eventually(async () => (await h.db.query('select 1 from forum.users where id = any($1::uuid[])', [[admin.id, ada.id, bob.id]])).rows.length === 3);
  });
  afterAll(async () => {
    await h?.close();
  });

  const newCategory = async (): Promise<string> => {
    const res = await call<{ id: string }>(h, admin, 'POST', '/forum/categories', { name: `c-${Math.random().toString(36).slice(2)}` });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const post = async (user: TestUser, categoryId: string, title = 'A title', body = 'A body') => {
    h.clock.advance(1_000);
    return call<Post & Problem>(h, user, 'POST', '/forum/posts', { categoryId, title, body });
  };
  const page = (user: TestUser, categoryId: string, query = '') => call<PageOf<Post> & Problem>(h, user, 'GET', `/forum/categories/${categoryId}/posts${query}`);
  const ids = (p: { body: PageOf<Post> }) => p.body.items.map((x) => x.id);

  it('publishes a post, trimmed, plain text as given, with forum.post.created naming the mentioned users', async () => {
    const res = await post(ada, DEFAULT_CATEGORY_ID, '  <b>Hello</b>  ', ' <script>alert(1)</script> @bob and @ADMIN! ');
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.body).toMatchObject({
      categoryId: DEFAULT_CATEGORY_ID,
      title: '<b>Hello</b>',
      body: '<script>alert(1)</script> @bob and @ADMIN!',
      bodyFormat: 'text/plain',
      author: { id: ada.id, displayName: 'Ada Lovelace' },
      pinned: false,
      locked: false,
      commentCount: 0,
      editedAt: null,
    });
    expect(res.body.lastActivityAt).toBe(res.body.createdAt);
    expect(await call<Post>(h, bob, 'GET', `/forum/posts/${res.body.id}`)).toMatchObject({ status: 200, body: res.body });
    await eventually(() => h.events.some((e) => e.type === 'forum.post.created' && (e.data as ForumPostCreatedData).postId === res.body.id));
    const event = h.events.find((e) => e.type === 'forum.post.created' && (e.data as ForumPostCreatedData).postId === res.body.id)!;
    expect(event.producer).toBe('forum');
    expect(event.data).toEqual({
      postId: res.body.id,
      categoryId: DEFAULT_CATEGORY_ID,
      authorId: ada.id,
      title: '<b>Hello</b>',
      mentionedUserIds: [bob.id, admin.id],
      createdAt: res.body.createdAt,
    });
  });

  it('validates input: limits after trimming, unknown category and fields', async () => {
    for (const body of [
      { categoryId: DEFAULT_CATEGORY_ID, title: '   ', body: 'x' },
      { categoryId: DEFAULT_CATEGORY_ID, title: 'x', body: ' \n ' },
      { categoryId: DEFAULT_CATEGORY_ID, title: 't'.repeat(201), body: 'x' },
      { categoryId: DEFAULT_CATEGORY_ID, title: 'x', body: 'b'.repeat(51) },
      { categoryId: DEFAULT_CATEGORY_ID, title: 'x', body: 'x', html: true },
      { categoryId: 'nope', title: 'x', body: 'x' },
      { categoryId: DEFAULT_CATEGORY_ID, title: 'x', body: 'nul \u0000' },
    ]) {
      const res = await call<Problem>(h, ada, 'POST', '/forum/posts', body);
      expect([res.status, res.body.code], JSON.stringify(body).slice(0, 60)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await post(ada, DEFAULT_CATEGORY_ID, 't'.repeat(200), `  ${'b'.repeat(50)}  `)).status).toBe(201);
    const unknown = await post(ada, '00000000-0000-4000-8000-0000000000ff');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
    expect((await call<Problem>(h, ada, 'GET', '/forum/posts/00000000-0000-4000-8000-0000000000ff')).body.code).toBe('NOT_FOUND');
  });

  it('lets the author alone edit, and the author or an ADMIN delete', async () => {
    const made = await post(ada, DEFAULT_CATEGORY_ID);
    h.clock.advance(1_000);
    const edited = await call<Post>(h, ada, 'PATCH', `/forum/posts/${made.body.id}`, { body: ' New body ' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ title: 'A title', body: 'New body', editedAt: h.clock.now().toISOString() });
    for (const user of [bob, admin]) {
      const res = await call<Problem>(h, user, 'PATCH', `/forum/posts/${made.body.id}`, { title: 'Mine now' });
      expect([res.status, res.body.code]).toEqual([403, 'NOT_THE_AUTHOR']);
    }
    expect((await call<Problem>(h, ada, 'PATCH', `/forum/posts/${made.body.id}`, {})).status).toBe(400);
    const refused = await call<Problem>(h, bob, 'DELETE', `/forum/posts/${made.body.id}`);
    expect([refused.status, refused.body.code]).toEqual([403, 'NOT_THE_AUTHOR']);
    expect((await call(h, ada, 'DELETE', `/forum/posts/${made.body.id}`)).status).toBe(204);
    expect((await call(h, ada, 'GET', `/forum/posts/${made.body.id}`)).status).toBe(404);
    const other = await post(bob, DEFAULT_CATEGORY_ID);
    expect((await call(h, admin, 'DELETE', `/forum/posts/${other.body.id}`)).status).toBe(204);
    expect((await call(h, bob, 'GET', `/forum/posts/${other.body.id}`)).status).toBe(404);
    expect((await call<Problem>(h, admin, 'DELETE', `/forum/posts/${other.body.id}`)).body.code).toBe('NOT_FOUND');
  });

  it('lets an ADMIN lock and pin, idempotently; a STUDENT gets 403; a locked post takes no comment', async () => {
    const made = await post(ada, DEFAULT_CATEGORY_ID);
    for (const path of ['lock', 'pin']) {
      for (const method of ['PUT', 'DELETE']) {
        const res = await call<Problem>(h, ada, method, `/forum/posts/${made.body.id}/${path}`);
        expect([res.status, res.body.code], `${method} ${path}`).toEqual([403, 'INSUFFICIENT_SCOPE']);
      }
    }
    for (let i = 0; i < 2; i++) expect((await call<Post>(h, admin, 'PUT', `/forum/posts/${made.body.id}/lock`)).body.locked).toBe(true);
    const locked = await call<Problem>(h, bob, 'POST', `/forum/posts/${made.body.id}/comments`, { body: 'hi' });
    expect([locked.status, locked.body.code]).toEqual([409, 'POST_LOCKED']);
    expect((await call<Post>(h, admin, 'DELETE', `/forum/posts/${made.body.id}/lock`)).body.locked).toBe(false);
    expect((await call(h, bob, 'POST', `/forum/posts/${made.body.id}/comments`, { body: 'hi' })).status).toBe(201);
    expect((await call<Post>(h, admin, 'PUT', `/forum/posts/${made.body.id}/pin`)).body.pinned).toBe(true);
    expect((await call<Post>(h, admin, 'DELETE', `/forum/posts/${made.body.id}/pin`)).body).toMatchObject({ pinned: false, locked: false, commentCount: 1 });
    expect((await call<Problem>(h, admin, 'PUT', '/forum/posts/00000000-0000-4000-8000-0000000000ff/pin')).body.code).toBe('NOT_FOUND');
  });

  it('lists an empty category as one empty page, and an unknown one as 404', async () => {
    const empty = await newCategory();
    expect((await page(ada, empty)).body).toEqual({ items: [], nextCursor: null });
    expect((await page(ada, '00000000-0000-4000-8000-0000000000ff')).body.code).toBe('NOT_FOUND');
  });

  it('ends with nextCursor null when the posts fill exactly one page', async () => {
    const category = await newCategory();
    const made = [await post(ada, category), await post(bob, category), await post(ada, category)].map((r) => r.body.id);
    const first = await page(ada, category, '?limit=3');
    expect(ids(first)).toEqual([...made].reverse());
    expect(first.body.nextCursor).toBeNull();
    const two = await page(ada, category, '?limit=2');
    expect(ids(two)).toEqual([made[2], made[1]]);
    const rest = await page(ada, category, `?limit=2&cursor=${two.body.nextCursor}`);
    expect([ids(rest), rest.body.nextCursor]).toEqual([[made[0]], null]);
  });

  it('lists pinned posts first, then by newest activity (a comment moves a post up)', async () => {
    const category = await newCategory();
    const [p1, p2, p3, p4] = [await post(ada, category), await post(ada, category), await post(ada, category), await post(ada, category)].map((r) => r.body.id);
    await call(h, admin, 'PUT', `/forum/posts/${p1}/pin`);
    h.clock.advance(1_000);
    const comment = await call(h, bob, 'POST', `/forum/posts/${p2}/comments`, { body: 'bump' });
    expect(comment.status).toBe(201);
    const listed = await page(ada, category);
    expect(ids(listed)).toEqual([p1, p2, p4, p3]);
    expect(listed.body.items[1]?.lastActivityAt).toBe(h.clock.now().toISOString());
  });

  it('never repeats or skips a listed post when new posts arrive between pages', async () => {
    const category = await newCategory();
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await post(ada, category)).body.id);
    const first = await page(ada, category, '?limit=2');
    expect(ids(first)).toEqual([made[4], made[3]]);
    const newer = (await post(bob, category)).body.id;
    const second = await page(ada, category, `?limit=2&cursor=${first.body.nextCursor}`);
    const third = await page(ada, category, `?limit=2&cursor=${second.body.nextCursor}`);
    expect([...ids(second), ...ids(third)]).toEqual([made[2], made[1], made[0]]);
    expect(third.body.nextCursor).toBeNull();
    expect(ids(await page(ada, category, '?limit=1'))).toEqual([newer]);
  });

  it('refuses a malformed cursor and a limit past the cap', async () => {
    for (const query of ['?cursor=***', '?cursor=WzFd', `?cursor=${Buffer.from('[true,"2026-13-01T00:00:00.000Z","x"]').toString('base64url')}`]) {
      const res = await page(ada, DEFAULT_CATEGORY_ID, query);
      expect([res.status, res.body.code], query).toEqual([400, 'INVALID_CURSOR']);
    }
    expect((await page(ada, DEFAULT_CATEGORY_ID, '?limit=51')).body.code).toBe('VALIDATION_FAILED');
    expect((await page(ada, DEFAULT_CATEGORY_ID, '?limit=0')).body.code).toBe('VALIDATION_FAILED');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, DEFAULT_CATEGORY_ID, signUp, startForum, variants, type ForumHarness, type PageOf, type Problem, type TestUser } from './harness.js';

interface Hit {
  type: 'post' | 'comment';
  id: string;
  postId: string;
  postTitle: string;
  excerpt: string;
  bodyFormat: string;
  author: { id: string; displayName: string };
  createdAt: string;
}

describe.each(variants)('forum search (%s)', (variant) => {
  let h: ForumHarness;
  let ada: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    h = await startForum(variant);
    ada = await signUp(h, 'Ada');
    bob = await signUp(h, 'Bob');
  });
  afterAll(async () => {
    await h?.close();
  });

  const post = async (title: string, body: string) => {
    h.clock.advance(1_000);
    return (await call<{ id: string }>(h, ada, 'POST', '/forum/posts', { categoryId: DEFAULT_CATEGORY_ID, title, body })).body.id;
  };
  const comment = async (postId: string, body: string) => {
    h.clock.advance(1_000);
    return (await call<{ id: string }>(h, bob, 'POST', `/forum/posts/${postId}/comments`, { body })).body.id;
  };
  const search = (query: string) => call<PageOf<Hit> & Problem>(h, ada, 'GET', `/forum/search?${query}`);

  it('finds posts by title and body and comments by body, newest first, ignoring case', async () => {
    const p1 = await post('Quaternion rotations', 'How do they compose?');
    const p2 = await post('Linear algebra', 'Eigenvalues of a QUATERNION matrix');
    const c1 = await comment(p2, 'Quaternions are not commutative; a quaternion is fine');
    await comment(p1, 'unrelated words');
    const res = await search('q=quaternion');
    expect(res.status).toBe(200);
    expect(res.body.items.map((x) => [x.type, x.id])).toEqual([
      ['comment', c1],
      ['post', p2],
      ['post', p1],
    ]);
    expect(res.body.items[0]).toMatchObject({ postId: p2, postTitle: 'Linear algebra', bodyFormat: 'text/plain', author: { id: bob.id, displayName: 'Bob' } });
    expect(res.body.items[1]).toMatchObject({ postId: p2, excerpt: 'Eigenvalues of a QUATERNION matrix', author: { id: ada.id, displayName: 'Ada' } });
    expect((await search('q=%22not%20commutative%22')).body.items.map((x) => x.id)).toEqual([c1]);
  });

  it('forgets a deleted comment and a deleted post', async () => {
    const p = await post('Zebra stripes', 'why');
    const c = await comment(p, 'zebras again');
    expect((await search('q=zebras')).body.items.map((x) => x.id)).toEqual([c]);
    expect((await call(h, bob, 'DELETE', `/forum/comments/${c}`)).status).toBe(204);
    expect((await search('q=zebras')).body.items).toEqual([]);
    expect((await call(h, ada, 'DELETE', `/forum/posts/${p}`)).status).toBe(204);
    expect((await search('q=zebra')).body.items).toEqual([]);
  });

  it('pages hits by keyset, never repeating one when new ones arrive', async () => {
    const made = [];
    const p = await post('Walrus one', 'walrus');
    made.push(p);
    for (let i = 0; i < 3; i++) made.push(await comment(p, `walrus ${i}`));
    const first = await search('q=walrus&limit=2');
    expect(first.body.items.map((x) => x.id)).toEqual([made[3], made[2]]);
    await comment(p, 'walrus late');
    const second = await search(`q=walrus&limit=2&cursor=${first.body.nextCursor}`);
    expect([second.body.items.map((x) => x.id), second.body.nextCursor]).toEqual([[made[1], made[0]], null]);
  });

  it('validates the query', async () => {
    for (const query of ['', 'q=', `q=${'x'.repeat(257)}`, 'q=a&limit=51', 'q=a&other=1']) {
      const res = await search(query);
      expect([res.status, res.body.code], query.slice(0, 30)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await search('q=a&cursor=***')).body.code).toBe('INVALID_CURSOR');
    expect((await search('q=%21%21%21')).body).toEqual({ items: [], nextCursor: null });
  });
});

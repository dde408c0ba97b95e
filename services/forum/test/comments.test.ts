import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIST_COMMENTS_SQL } from '../src/comments/comments.repository.js';
import type { ForumCommentCreatedData } from '../src/index.js';
import { call, DEFAULT_CATEGORY_ID, eventually, promote, signUp, startForum, variants, type ForumHarness, type PageOf, type Problem, type TestUser } from './harness.js';

interface Comment {
  id: string;
  postId: string;
  seq: number;
  parentId: string | null;
  body: string;
  bodyFormat: string;
  author: { id: string; displayName: string };
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

describe.each(variants)('forum comments (%s)', (variant) => {
  let h: ForumHarness;
  let admin: TestUser;
  let ada: TestUser;
  let bob: TestUser;
  let cyd: TestUser;
  beforeAll(async () => {
    h = await startForum(variant, { env: { FORUM_COMMENT_MAX_LENGTH: '300' } });
    admin = await promote(h, await signUp(h, 'Admin'));
    ada = await signUp(h, 'Ada Lovelace');
    bob = await signUp(h, 'Bob');
    cyd = await signUp(h, 'Cyd');
  });
  afterAll(async () => {
    await h?.close();
  });

  const newPost = async (author: TestUser = ada): Promise<string> => {
    const res = await call<{ id: string }>(h, author, 'POST', '/forum/posts', { categoryId: DEFAULT_CATEGORY_ID, title: 'The post', body: 'Its body' });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const comment = (user: TestUser, postId: string, body: string, parentId?: string) => {
    h.clock.advance(1_000);
    return call<Comment & Problem>(h, user, 'POST', `/forum/posts/${postId}/comments`, parentId === undefined ? { body } : { body, parentId });
  };
  const page = (user: TestUser, postId: string, query = '') => call<PageOf<Comment> & Problem>(h, user, 'GET', `/forum/posts/${postId}/comments${query}`);
  const eventOf = async (commentId: string): Promise<ForumCommentCreatedData> => {
    const find = () => h.events.find((e) => e.type === 'forum.comment.created' && (e.data as ForumCommentCreatedData).commentId === commentId);
    await eventually(() => find() !== undefined);
    return find()!.data as ForumCommentCreatedData;
  };

  it('writes a comment and forum.comment.created naming the post\'s author, in order by seq', async () => {
    const postId = await newPost(ada);
    const res = await comment(bob, postId, '  <i>first</i>  ');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ postId, seq: 1, parentId: null, body: '<i>first</i>', bodyFormat: 'text/plain', author: { id: bob.id, displayName: 'Bob' }, editedAt: null, deletedAt: null });
    expect(await eventOf(res.body.id)).toEqual({
      commentId: res.body.id,
      postId,
      postTitle: 'The post',
      postAuthorId: ada.id,
      parentId: null,
      parentAuthorId: null,
      authorId: bob.id,
      mentionedUserIds: [],
      preview: '<i>first</i>',
      createdAt: res.body.createdAt,
    });
    expect((await comment(cyd, postId, 'second')).body.seq).toBe(2);
    const post = await call<{ commentCount: number; lastActivityAt: string }>(h, ada, 'GET', `/forum/posts/${postId}`);
    expect(post.body).toMatchObject({ commentCount: 2, lastActivityAt: h.clock.now().toISOString() });
  });

  it('cuts the event preview at 200 code units, never inside a surrogate pair', async () => {
    const postId = await newPost();
    const res = await comment(bob, postId, `${'a'.repeat(199)}😀 and more`);
    expect((await eventOf(res.body.id)).preview).toBe('a'.repeat(199));
  });

  it('takes one level of replies: the parent\'s author in the event; a reply to a reply is 400 NESTED_REPLY', async () => {
    const postId = await newPost(ada);
    const top = await comment(bob, postId, 'top');
    const reply = await comment(cyd, postId, 'reply', top.body.id);
    expect(reply.status).toBe(201);
    expect(reply.body.parentId).toBe(top.body.id);
    expect(await eventOf(reply.body.id)).toMatchObject({ parentId: top.body.id, parentAuthorId: bob.id, postAuthorId: ada.id, authorId: cyd.id });
    const nested = await comment(ada, postId, 'deeper', reply.body.id);
    expect([nested.status, nested.body.code]).toEqual([400, 'NESTED_REPLY']);
    const elsewhere = await comment(ada, await newPost(), 'wrong post', top.body.id);
    expect([elsewhere.status, elsewhere.body.code]).toEqual([400, 'INVALID_PARENT']);
    const unknown = await comment(ada, postId, 'nobody', '00000000-0000-4000-8000-0000000000ff');
    expect([unknown.status, unknown.body.code]).toEqual([400, 'INVALID_PARENT']);
    expect((await call(h, bob, 'DELETE', `/forum/comments/${top.body.id}`)).status).toBe(204);
    const toDeleted = await comment(ada, postId, 'late', top.body.id);
    expect([toDeleted.status, toDeleted.body.code]).toEqual([409, 'COMMENT_DELETED']);
  });

  it('resolves @displayName mentions ignoring case, names with spaces included; never the author, never an email', async () => {
    const postId = await newPost(cyd);
    const twin = await signUp(h, 'bob');
    // Mentions match the projection alone: wait for the forum's users consumer to have it.
    await eventually(async () => (await h.db.query('select 1 from forum.users where id = any($1::uuid[])', [[ada.id, bob.id, twin.id, admin.id]])).rows.length === 4);
    const res = await comment(cyd, postId, 'Thanks @ada lovelace, and @BOB! Mail me at cyd@bob please. @Cyd @nobody\n@Admin');
    const event = await eventOf(res.body.id);
    expect(new Set(event.mentionedUserIds)).toEqual(new Set([ada.id, bob.id, twin.id, admin.id]));
    expect(event.mentionedUserIds).toHaveLength(4);
    const plain = await comment(bob, postId, '@Ada alone is not a display name here');
    expect((await eventOf(plain.body.id)).mentionedUserIds).toEqual([]);
  });

  it('validates bodies: empty after trimming, past FORUM_COMMENT_MAX_LENGTH, unknown fields; 404 for an unknown post', async () => {
    const postId = await newPost();
    for (const body of [{ body: '  ' }, { body: 'x'.repeat(301) }, { body: 'x', extra: 1 }, { parentId: 'x', body: 'x' }, {}]) {
      const res = await call<Problem>(h, bob, 'POST', `/forum/posts/${postId}/comments`, body);
      expect([res.status, res.body.code], JSON.stringify(body).slice(0, 40)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await comment(bob, postId, ` ${'x'.repeat(300)} `)).status).toBe(201);
    const missing = await comment(bob, '00000000-0000-4000-8000-0000000000ff', 'hi');
    expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
    expect((await page(bob, '00000000-0000-4000-8000-0000000000ff')).body.code).toBe('NOT_FOUND');
  });

  it('lets the author alone edit; the author or an ADMIN delete, leaving a placeholder for the replies', async () => {
    const postId = await newPost(ada);
    const mine = await comment(bob, postId, 'mine');
    const reply = await comment(cyd, postId, 'a reply', mine.body.id);
    h.clock.advance(1_000);
    const edited = await call<Comment>(h, bob, 'PATCH', `/forum/comments/${mine.body.id}`, { body: ' edited ' });
    expect(edited.body).toMatchObject({ body: 'edited', editedAt: h.clock.now().toISOString() });
    for (const user of [cyd, admin, ada]) {
      const res = await call<Problem>(h, user, 'PATCH', `/forum/comments/${mine.body.id}`, { body: 'mine now' });
      expect([res.status, res.body.code]).toEqual([403, 'NOT_THE_AUTHOR']);
    }
    const refused = await call<Problem>(h, ada, 'DELETE', `/forum/comments/${mine.body.id}`);
    expect([refused.status, refused.body.code]).toEqual([403, 'NOT_THE_AUTHOR']);
    expect((await call(h, bob, 'DELETE', `/forum/comments/${mine.body.id}`)).status).toBe(204);
    expect((await call(h, bob, 'DELETE', `/forum/comments/${mine.body.id}`)).status).toBe(204);
    expect((await call(h, admin, 'DELETE', `/forum/comments/${reply.body.id}`)).status).toBe(204);
    const listed = await page(ada, postId);
    expect(listed.body.items.map((c) => [c.id, c.body, c.deletedAt !== null, c.parentId])).toEqual([
      [mine.body.id, '', true, null],
      [reply.body.id, '', true, mine.body.id],
    ]);
    expect((await call<{ commentCount: number }>(h, ada, 'GET', `/forum/posts/${postId}`)).body.commentCount).toBe(0);
    const late = await call<Problem>(h, bob, 'PATCH', `/forum/comments/${mine.body.id}`, { body: 'back' });
    expect([late.status, late.body.code]).toEqual([409, 'COMMENT_DELETED']);
    expect((await call<Problem>(h, bob, 'DELETE', '/forum/comments/00000000-0000-4000-8000-0000000000ff')).body.code).toBe('NOT_FOUND');
  });

  it('pages comments oldest first: empty, exactly one page, and rows arriving between pages', async () => {
    const postId = await newPost();
    expect((await page(bob, postId)).body).toEqual({ items: [], nextCursor: null });
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await comment(bob, postId, `c${i}`)).body.id);
    const exact = await page(bob, postId, '?limit=3');
    expect([exact.body.items.map((c) => c.id), exact.body.nextCursor]).toEqual([made, null]);
    const first = await page(bob, postId, '?limit=2');
    expect(first.body.items.map((c) => c.id)).toEqual(made.slice(0, 2));
    made.push((await comment(cyd, postId, 'arrived meanwhile')).body.id);
    const second = await page(bob, postId, `?limit=2&cursor=${first.body.nextCursor}`);
    expect([second.body.items.map((c) => c.id), second.body.nextCursor]).toEqual([made.slice(2), null]);
    for (const query of ['?cursor=***', '?cursor=WyJ4Il0', '?cursor=WzBd']) expect((await page(bob, postId, query)).body.code, query).toBe('INVALID_CURSOR');
    expect((await page(bob, postId, '?limit=101')).body.code).toBe('VALIDATION_FAILED');
  });

  it('gives comments written at once distinct, gapless seqs: none is missed by a page read meanwhile', async () => {
    const postId = await newPost();
    const written = await Promise.all(Array.from({ length: 8 }, (_, i) => call<Comment>(h, [bob, cyd][i % 2]!, 'POST', `/forum/posts/${postId}/comments`, { body: `at once ${i}` })));
    expect(written.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(written.map((r) => r.body.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const listed = await page(bob, postId);
    expect(listed.body.items.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await call<{ commentCount: number }>(h, ada, 'GET', `/forum/posts/${postId}`)).body.commentCount).toBe(8);
  });

  it('reads the last page of 100,000 comments through the (post_id, seq) index', async () => {
    const postId = await newPost();
    await h.db.query(
      `insert into forum.comments (id, post_id, seq, author_id, body, created_at)
       select gen_random_uuid(), $1, n, $2, 'comment ' || n, now() from generate_series(1, 100000) as n`,
      [postId, bob.id],
    );
    await h.db.query('update forum.posts set last_comment_seq = 100000, comment_count = 100000 where id = $1', [postId]);
    await h.db.query('analyze forum.comments');
    const cursor = Buffer.from(JSON.stringify([99_990])).toString('base64url');
    const last = await page(bob, postId, `?limit=20&cursor=${cursor}`);
    expect([last.body.items.map((c) => c.seq), last.body.nextCursor]).toEqual([Array.from({ length: 10 }, (_, i) => 99_991 + i), null]);
    // The repository's own query, on the first page (the one read most) and the last: an index range, no sort.
    for (const afterSeq of [0, 99_990]) {
      const plan = await h.db.query<{ 'QUERY PLAN': string }>(`explain ${LIST_COMMENTS_SQL}`, [postId, afterSeq, 21]);
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text, `after seq ${afterSeq}`).toMatch(/Index Scan using comments_post_id_seq_key/);
      expect(text, `after seq ${afterSeq}`).not.toMatch(/Sort/);
    }
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, DEFAULT_CATEGORY_ID, promote, signUp, startForum, variants, type ForumHarness, type PageOf, type Problem, type TestUser } from './harness.js';

interface Category {
  id: string;
  name: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

describe.each(variants)('forum categories (%s)', (variant) => {
  let h: ForumHarness;
  let admin: TestUser;
  let student: TestUser;
  beforeAll(async () => {
    h = await startForum(variant);
    admin = await promote(h, await signUp(h, 'Admin'));
    student = await signUp(h, 'Student');
  });
  afterAll(async () => {
    await h?.close();
  });

  const create = (user: TestUser, body: unknown) => call<Category & Problem>(h, user, 'POST', '/forum/categories', body);
  const list = (user: TestUser, query = '') => call<PageOf<Category> & Problem>(h, user, 'GET', `/forum/categories${query}`);

  it('lets an ADMIN create, rename and delete a category, trimmed', async () => {
    const made = await create(admin, { name: '  Homework help ', description: ' Ask away. ' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'Homework help', description: 'Ask away.' });
    h.clock.advance(1_000);
    const renamed = await call<Category>(h, admin, 'PATCH', `/forum/categories/${made.body.id}`, { name: 'Homework' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: made.body.id, name: 'Homework', description: 'Ask away.' });
    expect(renamed.body.updatedAt > made.body.updatedAt).toBe(true);
    expect((await list(student, '?limit=100')).body.items.find((c) => c.id === made.body.id)?.name).toBe('Homework');
    expect((await call(h, admin, 'DELETE', `/forum/categories/${made.body.id}`)).status).toBe(204);
    expect((await list(student, '?limit=100')).body.items.some((c) => c.id === made.body.id)).toBe(false);
    expect((await call<Problem>(h, admin, 'DELETE', `/forum/categories/${made.body.id}`)).body.code).toBe('NOT_FOUND');
    expect((await call<Problem>(h, admin, 'PATCH', `/forum/categories/${made.body.id}`, { name: 'x' })).body.code).toBe('NOT_FOUND');
  });

  it('refuses a STUDENT every change with 403', async () => {
    const made = await create(admin, { name: 'Admins only' });
    for (const [method, path, body] of [
      ['POST', '/forum/categories', { name: 'Mine' }],
      ['PATCH', `/forum/categories/${made.body.id}`, { name: 'Mine' }],
      ['DELETE', `/forum/categories/${made.body.id}`, undefined],
    ] as const) {
      const res = await call<Problem>(h, student, method, path, body);
      expect([res.status, res.body.code], `${method} ${path}`).toEqual([403, 'INSUFFICIENT_SCOPE']);
    }
    expect((await list(student, '?limit=100')).body.items.find((c) => c.id === made.body.id)?.name).toBe('Admins only');
  });

  it('validates names: empty after trimming, too long, taken ignoring case, unknown fields', async () => {
    await create(admin, { name: 'Unique name' });
    for (const body of [{ name: '   ' }, { name: 'x'.repeat(61) }, { name: 'ok', extra: 1 }, {}, { name: 'ok', description: 'd'.repeat(501) }]) {
      const res = await create(admin, body);
      expect([res.status, res.body.code], JSON.stringify(body).slice(0, 40)).toEqual([400, 'VALIDATION_FAILED']);
    }
    const taken = await create(admin, { name: 'UNIQUE NAME' });
    expect([taken.status, taken.body.code]).toEqual([409, 'CATEGORY_EXISTS']);
    const other = await create(admin, { name: 'Another' });
    const clash = await call<Problem>(h, admin, 'PATCH', `/forum/categories/${other.body.id}`, { name: 'unique name' });
    expect([clash.status, clash.body.code]).toEqual([409, 'CATEGORY_EXISTS']);
    expect((await call<Problem>(h, admin, 'PATCH', `/forum/categories/${other.body.id}`, {})).status).toBe(400);
  });

  it('keeps a category that holds posts', async () => {
    const made = await create(admin, { name: 'Busy' });
    expect((await call(h, student, 'POST', '/forum/posts', { categoryId: made.body.id, title: 'Hi', body: 'there' })).status).toBe(201);
    const res = await call<Problem>(h, admin, 'DELETE', `/forum/categories/${made.body.id}`);
    expect([res.status, res.body.code]).toEqual([409, 'CATEGORY_NOT_EMPTY']);
  });

  it('lists categories oldest first in keyset pages, the default one first', async () => {
    const all: Category[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await list(student, `?limit=2&cursor=${cursor}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    expect(all[0]?.id).toBe(DEFAULT_CATEGORY_ID);
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    expect(all.map((c) => c.id)).toEqual((await list(student, '?limit=100')).body.items.map((c) => c.id));
    expect((await list(student, '?cursor=bm9wZQ')).body.code).toBe('INVALID_CURSOR');
    expect((await list(student, '?limit=101')).body.code).toBe('VALIDATION_FAILED');
  });
});

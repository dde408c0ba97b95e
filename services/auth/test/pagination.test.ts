import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, register, startAuth, uniqueEmail, variants, type Harness } from './harness.js';

interface PageBody<T> {
  items: T[];
  nextCursor: string | null;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const malformedCursors: Array<[string, string]> = [
  ['not base64url', 'not*base64!'],
  ['not JSON', b64('{"createdAt":')],
  ['an object instead of a tuple', b64(JSON.stringify({ createdAt: '2026-01-01T00:00:00.000Z', id: randomUUID() }))],
  ['a tuple of the wrong length', b64(JSON.stringify(['2026-01-01T00:00:00.000Z']))],
  ['a tuple of the wrong types', b64(JSON.stringify([1767225600000, randomUUID()]))],
  ['an impossible date', b64(JSON.stringify(['2026-02-30T00:00:00.000Z', randomUUID()]))],
  ['a malformed id', b64(JSON.stringify(['2026-01-01T00:00:00.000Z', 'not-a-uuid']))],
];

describe.each(variants)('paged lists: GET /auth/sessions and GET /auth/users (%s)', (variant) => {
  let h: Harness;
  let admin: string;
  let student: string;

  beforeAll(async () => {
    h = await startAuth(variant);
    const a = await register(h.app);
    await h.db.query(`update auth.users set roles = array['ADMIN', 'STUDENT'] where id = $1`, [a.id]);
    admin = (await login(h.app, a.email)).access_token;
    student = (await login(h.app, (await register(h.app)).email)).access_token;
  });
  afterAll(() => h.close());

  const get = <T>(url: string, token: string) => h.app.inject({ url, headers: bearer(token) }).then((res) => ({ res, body: res.json() as PageBody<T> }));

  /** Follows nextCursor to the end; `between` runs after each page. */
  async function pageAll<T>(url: string, token: string, between: (page: number) => Promise<void> = async () => {}): Promise<{ items: T[]; sizes: number[] }> {
    const items: T[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const sep = url.includes('?') ? '&' : '?';
      const { res, body }: { res: Awaited<ReturnType<Harness['app']['inject']>>; body: PageBody<T> } = await get<T>(cursor === null ? url : `${url}${sep}cursor=${cursor}`, token);
      expect(res.statusCode, res.body).toBe(200);
      items.push(...body.items);
      sizes.push(body.items.length);
      cursor = body.nextCursor;
      await between(sizes.length);
      if (sizes.length > 100) throw new Error('the cursor does not advance');
    } while (cursor !== null);
    return { items, sizes };
  }

  async function insertUser(email: string, createdAt: Date, id = randomUUID()): Promise<string> {
    await h.db.query(
      `insert into auth.users (id, email, display_name, password_hash, roles, created_at, updated_at, password_changed_at)
       values ($1, $2, 'Seeded', 'x', array['STUDENT'], $3, $3, $3)`,
      [id, email, createdAt],
    );
    return id;
  }

  const usersInOrder = async (): Promise<string[]> => (await h.db.query<{ id: string }>('select id from auth.users order by created_at desc, id desc')).rows.map((r) => r.id);

  it('pages through every live session once, newest first, while sessions start and rotate between pages', async () => {
    const user = await register(h.app);
    const tokens: Array<Awaited<ReturnType<typeof login>>> = [];
    for (let i = 0; i < 7; i++) {
      // Pairs of logins in the same millisecond: ties are broken by id.
      if (i % 2 === 0) h.clock.advance(1_000);
      tokens.push(await login(h.app, user.email, undefined, { 'user-agent': `agent-${i}` }));
    }
    const me = tokens[3]!;
    const expected = (
      await h.db.query<{ id: string }>('select id from auth.sessions where user_id = $1 order by created_at desc, id desc', [user.id])
    ).rows.map((r) => r.id);
    expect(expected).toHaveLength(7);

    const { items, sizes } = await pageAll<{ id: string; current: boolean; userAgent: string }>('/auth/sessions?limit=2', me.access_token, async (page) => {
      if (page !== 1) return;
      // A new login is newer than every cursor: it shows on no later page. A refresh moves last_used_at only.
      h.clock.advance(1_000);
      await login(h.app, user.email);
      const res = await h.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: tokens[6]!.refresh_token } });
      expect(res.statusCode).toBe(200);
    });
    expect(items.map((s) => s.id)).toEqual(expected);
    expect(sizes).toEqual([2, 2, 2, 1]);
    expect(items.filter((s) => s.current).map((s) => s.userAgent)).toEqual(['agent-3']);
    // The last page is exact: no cursor leading to an empty page.
    const exact = await pageAll('/auth/sessions?limit=4', me.access_token);
    expect(exact.sizes).toEqual([4, 4]);
  });

  it('defaults sessions to 20 a page and caps limit at 100', async () => {
    const user = await register(h.app);
    const t = await login(h.app, user.email);
    const { res, body } = await get('/auth/sessions', t.access_token);
    expect([res.statusCode, body.items.length, body.nextCursor]).toEqual([200, 1, null]);
    expect((await get('/auth/sessions?limit=100', t.access_token)).res.statusCode).toBe(200);
    for (const url of ['/auth/sessions?limit=101', '/auth/sessions?limit=0', '/auth/sessions?limit=ten', '/auth/users?limit=101']) {
      const bad = (await get(url, url.startsWith('/auth/users') ? admin : t.access_token)).res;
      expect([url, bad.statusCode, bad.json().code]).toEqual([url, 400, 'VALIDATION_FAILED']);
    }
  });

  it.each(malformedCursors)('refuses a cursor that is %s with 400 INVALID_CURSOR on both lists', async (_label, cursor) => {
    for (const [url, token] of [
      [`/auth/sessions?cursor=${encodeURIComponent(cursor)}`, student],
      [`/auth/users?cursor=${encodeURIComponent(cursor)}`, admin],
    ] as const) {
      const res = await h.app.inject({ url, headers: bearer(token) });
      expect([url, res.statusCode, res.json().code]).toEqual([url, 400, 'INVALID_CURSOR']);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('lists users to admins only: 401 without a token, 403 for a student', async () => {
    const none = await h.app.inject({ url: '/auth/users' });
    expect([none.statusCode, none.json().code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const denied = await h.app.inject({ url: '/auth/users', headers: bearer(student) });
    expect(denied.statusCode).toBe(403);
  });

  it('pages through every user once, newest first, with a user registered between pages', async () => {
    const base = h.clock.now().getTime() - 3_600_000;
    // Ties on created_at, broken by id; and one user older than every other.
    const seeded = [
      await insertUser(uniqueEmail(), new Date(base)),
      await insertUser(uniqueEmail(), new Date(base + 1_000)),
      await insertUser(uniqueEmail(), new Date(base + 1_000)),
      await insertUser(uniqueEmail(), new Date(base + 1_000)),
      await insertUser(uniqueEmail(), new Date(0)),
    ];
    const expected = await usersInOrder();
    expect(expected).toEqual(expect.arrayContaining(seeded));

    const { items, sizes } = await pageAll<{ id: string; email: string; roles: string[]; createdAt: string; displayName: string }>('/auth/users?limit=3', admin, async (page) => {
      if (page === 2) await register(h.app);
    });
    expect(items.map((u) => u.id)).toEqual(expected);
    expect(sizes.every((n) => n <= 3)).toBe(true);
    // The public User schema only: never the password hash.
    expect(Object.keys(items[0]!).sort()).toEqual(['createdAt', 'displayName', 'email', 'id', 'roles']);

    // 20 by default.
    for (let i = 0; i < 20; i++) await insertUser(uniqueEmail(), new Date(base - i));
    const first = await get<{ id: string }>('/auth/users', admin);
    expect(first.body.items).toHaveLength(20);
    expect(first.body.nextCursor).not.toBeNull();
  });

  it('filters users by email prefix, normalised like emails, with LIKE wildcards taken literally', async () => {
    const at = h.clock.now();
    const tag = `pfx${randomUUID().slice(0, 8)}`;
    const ids = {
      plain: await insertUser(`${tag}.anna@example.com`, at),
      underscore: await insertUser(`${tag}_bob@example.com`, at),
      other: await insertUser(`${tag}xcarl@example.com`, at),
      percent: await insertUser(`${tag}%dan@example.com`, at),
    };
    const emails = async (prefix: string, limit = 20) =>
      (await pageAll<{ id: string; email: string }>(`/auth/users?limit=${limit}&email=${encodeURIComponent(prefix)}`, admin)).items.map((u) => u.id).sort();
    expect(await emails(tag)).toEqual(Object.values(ids).sort());
    expect(await emails(tag, 1)).toEqual(Object.values(ids).sort());
    expect(await emails(`  ${tag.toUpperCase()}.ANNA `)).toEqual([ids.plain]);
    // `_` and `%` match themselves, not any character.
    expect(await emails(`${tag}_`)).toEqual([ids.underscore]);
    expect(await emails(`${tag}%`)).toEqual([ids.percent]);
    expect(await emails(`${tag}\\`)).toEqual([]);
    expect(await emails('nobody-has-this-prefix')).toEqual([]);
  });

  it('serves the email prefix filter from an index range, whatever the collation', async () => {
    const plan = await h.db.transaction(async (tx) => {
      await tx.query('set local enable_seqscan = off');
      return (await tx.query<{ 'QUERY PLAN': string }>(`explain select id from auth.users where email like 'abc%'`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Cond: \(\(?email ~>=~ 'abc'/);
  });
});

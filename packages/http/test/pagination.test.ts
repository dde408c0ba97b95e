import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { AppError } from '@realchat/errors';
import { silentLogger } from '@realchat/logging';
import { createHttpApp, cursorCodec, CursorId, CursorTime, Page, pageQuery, toPage, type App } from '@realchat/http';

const Key = Type.Tuple([CursorTime, CursorId]);
const codec = cursorCodec(Key);
const ID = '0190f5a2-1234-7abc-8def-0123456789ab';
const AT = '2026-11-23T10:00:00.123Z';
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? `${err.status} ${err.code}` : `not an AppError: ${String(err)}`;
  }
  return undefined;
};

describe('cursorCodec', () => {
  it('round-trips a key tuple through an opaque base64url string', () => {
    const cursor = codec.encode([AT, ID]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(codec.decode(cursor)).toEqual([AT, ID]);
  });

  it('reads an absent or empty cursor as the first page', () => {
    expect(codec.decode(undefined)).toBeUndefined();
    expect(codec.decode('')).toBeUndefined();
  });

  it.each([
    ['not base64url', 'abc+/=='],
    ['padding', `${b64(JSON.stringify([AT, ID]))}=`],
    ['a non-canonical encoding (stray bits)', 'AB'],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x22]).toString('base64url')],
    ['not JSON', b64('hello')],
    ['JSON null', b64('null')],
    ['an object', b64(JSON.stringify({ createdAt: AT, id: ID }))],
    ['a short tuple', b64(JSON.stringify([AT]))],
    ['a long tuple', b64(JSON.stringify([AT, ID, 1]))],
    ['swapped members', b64(JSON.stringify([ID, AT]))],
    ['a number for the time', b64(JSON.stringify([Date.parse(AT), ID]))],
    ['an impossible date', b64(JSON.stringify(['2026-02-30T00:00:00.000Z', ID]))],
    ['a date before 1970', b64(JSON.stringify(['-000001-01-01T00:00:00.000Z', ID]))],
    ['a non-canonical time', b64(JSON.stringify(['2026-11-23T10:00:00Z', ID]))],
    ['a urn uuid', b64(JSON.stringify([AT, `urn:uuid:${ID}`]))],
    ['an upper-case uuid', b64(JSON.stringify([AT, ID.toUpperCase()]))],
  ])('refuses %s with 400 INVALID_CURSOR', (_label, cursor) => {
    expect(codeOf(() => codec.decode(cursor))).toBe('400 INVALID_CURSOR');
  });
});

describe('toPage', () => {
  const rows = [1, 2, 3, 4];
  const cursorOf = (n: number): string => `after-${n}`;

  it('keeps limit rows and points the cursor at the last kept one when a row more was fetched', () => {
    expect(toPage(rows, 3, cursorOf)).toEqual({ items: [1, 2, 3], nextCursor: 'after-3' });
  });

  it('has no next cursor on the last page, full or not', () => {
    expect(toPage(rows, 4, cursorOf)).toEqual({ items: rows, nextCursor: null });
    expect(toPage(rows.slice(0, 2), 3, cursorOf)).toEqual({ items: [1, 2], nextCursor: null });
    expect(toPage([], 3, cursorOf)).toEqual({ items: [], nextCursor: null });
  });

  it('maps the kept rows to items', () => {
    expect(toPage(rows, 2, cursorOf, (n) => ({ n }))).toEqual({ items: [{ n: 1 }, { n: 2 }], nextCursor: 'after-2' });
  });
});

describe('pageQuery', () => {
  it('refuses a default above the cap or below 1', () => {
    expect(() => pageQuery({ defaultLimit: 50, maxLimit: 10 })).toThrow(RangeError);
    expect(() => pageQuery({ defaultLimit: 0 })).toThrow(RangeError);
  });
});

describe('a paged route', () => {
  let app: App;
  const all = Array.from({ length: 7 }, (_, i) => ({ at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), id: `0190f5a2-0000-7000-8000-00000000000${i}` })).reverse();

  beforeAll(async () => {
    app = createHttpApp({ logger: silentLogger });
    const query = { default: pageQuery(), small: pageQuery({ defaultLimit: 2, maxLimit: 5 }, { prefix: Type.Optional(Type.String({ maxLength: 10 })) }) };
    for (const [name, querystring] of Object.entries(query)) {
      app.get(`/items/${name}`, { schema: { querystring, response: { 200: Page(Type.Object({ id: Type.String() })) } } }, async (request) => {
        const { cursor, limit } = request.query as { cursor?: string; limit: number };
        const after = codec.decode(cursor);
        const rows = all.filter((r) => after === undefined || r.at < after[0] || (r.at === after[0] && r.id < after[1])).slice(0, limit + 1);
        return toPage(rows, limit, (r) => codec.encode([r.at, r.id]), (r) => ({ id: r.id }));
      });
    }
    await app.ready();
  });
  afterAll(() => app.close());

  it('pages through every item once, in order, with the default limit of the route', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await app.inject({ url: `/items/small?cursor=${cursor}` });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: Array<{ id: string }>; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
      pages++;
    }
    expect(seen).toEqual(all.map((r) => r.id));
    expect(pages).toBe(4);
  });

  it('defaults limit to 20, caps it per route, and refuses a malformed cursor with INVALID_CURSOR', async () => {
    expect((await app.inject({ url: '/items/default' })).json().items).toHaveLength(7);
    expect((await app.inject({ url: '/items/default?limit=100' })).statusCode).toBe(200);
    for (const url of ['/items/default?limit=101', '/items/small?limit=6', '/items/default?limit=0', '/items/default?limit=2.5', '/items/default?sort=asc', `/items/default?cursor=${'a'.repeat(513)}`]) {
      const res = await app.inject({ url });
      expect([url, res.statusCode, res.json().code]).toEqual([url, 400, 'VALIDATION_FAILED']);
    }
    const bad = await app.inject({ url: `/items/default?cursor=${b64('[1,2]')}` });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'INVALID_CURSOR']);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('pageQuery schema', () => {
  it('leaves limit optional for clients (the default fills it in) and cursor a bounded string', () => {
    const schema = pageQuery({ defaultLimit: 5, maxLimit: 50 }) as unknown as { required?: string[]; properties: Record<string, { default?: number; maximum?: number; maxLength?: number }> };
    expect(schema.required ?? []).not.toContain('limit');
    expect(schema.properties['limit']).toMatchObject({ default: 5, maximum: 50 });
    expect(schema.properties['cursor']).toMatchObject({ maxLength: 512 });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constraintOf, isUniqueViolation } from '../src/index.js';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../src/testing.js';

describe.each(testDatabaseKinds)('database on %s', (kind) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    await db.query('create schema app');
    await db.query('create table app.items (id int primary key, name text not null unique, n int not null default 0)');
  });
  afterAll(async () => {
    await db.close();
  });

  it('reports its kind and answers ping', async () => {
    expect(db.kind).toBe(kind);
    await expect(db.ping()).resolves.toBeUndefined();
  });

  it('runs parameterised statements and counts touched rows', async () => {
    const inserted = await db.query('insert into app.items (id, name) values ($1, $2), ($3, $4)', [1, 'a', 2, 'b']);
    expect(inserted.rowCount).toBe(2);
    const selected = await db.query<{ id: number; name: string }>('select id, name from app.items order by id');
    expect(selected.rows).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
    expect(selected.rowCount).toBe(2);
    const updated = await db.query('update app.items set n = n + 1 where id = $1', [99]);
    expect(updated.rowCount).toBe(0);
    await db.query('delete from app.items');
  });

  it('runs a named statement again and again, in and out of transactions; PostgreSQL prepares it once per connection', async () => {
    const sql = 'select $1::int + 1 as n';
    for (let i = 0; i < 3; i++) expect((await db.query<{ n: number }>(sql, [i], { name: 'test.plus_one' })).rows).toEqual([{ n: i + 1 }]);
    await db.transaction(async (tx) => {
      expect((await tx.query<{ n: number }>(sql, [41], { name: 'test.plus_one' })).rows).toEqual([{ n: 42 }]);
      expect((await tx.query<{ n: number }>(sql, [1], { name: 'test.plus_one' })).rows).toEqual([{ n: 2 }]);
      if (kind === 'postgres') {
        const { rows } = await tx.query<{ statement: string }>('select statement from pg_prepared_statements where name = $1', ['test.plus_one']);
        expect(rows).toEqual([{ statement: sql }]);
      }
    });
  });

  it('returns the same value types on both engines', async () => {
    const { rows } = await db.query<Record<string, unknown>>(
      `select count(*) as c, 42::int8 as i8, 1.5::numeric as n, $1::timestamptz as ts,
              '2026-01-02 03:04:05'::timestamp as t, '2026-01-02'::date as d, '{"a":[1]}'::jsonb as j, true as b`,
      [new Date('2026-01-02T03:04:05.678Z')],
    );
    expect(rows[0]).toEqual({
      c: 1,
      i8: 42,
      n: '1.5',
      ts: new Date('2026-01-02T03:04:05.678Z'),
      t: new Date('2026-01-02T03:04:05Z'),
      d: new Date('2026-01-02T00:00:00Z'),
      j: { a: [1] },
      b: true,
    });
  });

  it('refuses an int8 it cannot represent exactly', async () => {
    await expect(db.query('select 9007199254740993::int8 as big')).rejects.toThrow(/MAX_SAFE_INTEGER/);
    const { rows } = await db.query<{ big: string }>('select 9007199254740993::int8::text as big');
    expect(rows[0]?.big).toBe('9007199254740993');
  });

  it('commits a transaction that resolves', async () => {
    const result = await db.transaction(async (tx) => {
      await tx.query('insert into app.items (id, name) values (10, $1)', ['committed']);
      return 'done';
    });
    expect(result).toBe('done');
    const { rows } = await db.query('select name from app.items where id = 10');
    expect(rows).toEqual([{ name: 'committed' }]);
  });

  it('rolls back a transaction that throws and rethrows the error', async () => {
    const boom = new Error('boom');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into app.items (id, name) values (11, $1)', ['rolled back']);
        throw boom;
      }),
    ).rejects.toBe(boom);
    const { rowCount } = await db.query('select 1 from app.items where id = 11');
    expect(rowCount).toBe(0);
  });

  it('runs READ COMMITTED', async () => {
    const level = await db.transaction(async (tx) => (await tx.query<{ l: string }>("select current_setting('transaction_isolation') as l")).rows[0]);
    expect(level).toEqual({ l: 'read committed' });
  });

  it('rejects a stale transaction used after it ended', async () => {
    let stale: { query(sql: string): Promise<unknown> } | undefined;
    await db.transaction(async (tx) => {
      stale = tx;
    });
    await expect(stale?.query('select 1')).rejects.toThrow();
  });

  it('keeps concurrent transactions from losing updates or seeing each other half-done', async () => {
    await db.query('insert into app.items (id, name) values (20, $1)', ['counter']);
    const seen: number[] = [];
    await Promise.all<unknown>([
      ...Array.from({ length: 8 }, () =>
        db.transaction(async (tx) => {
          const { rows } = await tx.query<{ n: number }>('select n from app.items where id = 20 for update');
          const n = (rows[0]?.n ?? 0) + 1;
          await new Promise((resolve) => setTimeout(resolve, 5));
          await tx.query('update app.items set n = $1 where id = 20', [n]);
        }),
      ),
      // Plain queries from other callers while the transactions run.
      ...Array.from({ length: 8 }, async () => {
        const { rows } = await db.query<{ n: number }>('select n from app.items where id = 20');
        seen.push(rows[0]?.n ?? -1);
      }),
    ]);
    const { rows } = await db.query<{ n: number }>('select n from app.items where id = 20');
    expect(rows[0]?.n).toBe(8);
    expect(seen.every((n) => n >= 0 && n <= 8)).toBe(true);
  });

  it('detects unique violations and names the constraint', async () => {
    await db.query('insert into app.items (id, name) values (30, $1)', ['unique']);
    const err = await db.query('insert into app.items (id, name) values (31, $1)', ['unique']).catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(constraintOf(err)).toBe('items_name_key');
    const other = await db.query('insert into app.items (id) values (32)').catch((e: unknown) => e);
    expect(isUniqueViolation(other)).toBe(false);
    expect(isUniqueViolation(new Error('x'))).toBe(false);
  });

  it('detects a unique violation inside a transaction', async () => {
    const err = await db
      .transaction((tx) => tx.query('insert into app.items (id, name) values (30, $1)', ['again']))
      .catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
    expect(constraintOf(err)).toBe('items_pkey');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPGliteDatabase, isUniqueViolation, type Database } from '../src/index.js';

// PGlite runs on a worker thread: what crosses the thread (errors, data folder, close) is checked here.
describe('PGlite on its worker thread', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rc-db-pglite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps its data in the data folder across a close and a reopen', async () => {
    const first = await createPGliteDatabase({ dataDir: dir });
    await first.query('create table kept (id int primary key)');
    await first.transaction((tx) => tx.query('insert into kept values ($1)', [7]));
    await first.close();
    await expect(first.query('select 1')).rejects.toThrow(/closed/);
    await expect(first.close()).resolves.toBeUndefined();

    const again = await createPGliteDatabase({ dataDir: dir });
    try {
      expect((await again.query('select id from kept')).rows).toEqual([{ id: 7 }]);
    } finally {
      await again.close();
    }
  });

  describe('errors', () => {
    let db: Database;
    beforeAll(async () => {
      db = await createPGliteDatabase();
      await db.query("create table people (email text unique check (email like '%@%'))");
      await db.query('insert into people values ($1)', ['ada@example.com']);
    });
    afterAll(async () => {
      await db.close();
    });

    it('keep their SQLSTATE and constraint, and no parameter or row values', async () => {
      const err = await db.query('insert into people values ($1)', ['ada@example.com']).catch((e: unknown) => e);
      expect(isUniqueViolation(err)).toBe(true);
      expect(err).toMatchObject({ code: '23505', constraint: 'people_email_key' });
      const check = await db.query('insert into people values ($1)', ['secret-value']).catch((e: unknown) => e);
      expect(check).toMatchObject({ code: '23514', constraint: 'people_email_check' });
      for (const e of [err, check]) {
        expect(e).not.toHaveProperty('params');
        expect(e).not.toHaveProperty('detail');
        expect(JSON.stringify({ ...(e as object), message: (e as Error).message })).not.toMatch(/ada@example\.com|secret-value/);
      }
    });

    it('reject a parameter that cannot cross the thread, and the database goes on', async () => {
      await expect(db.query('select $1::text', [() => 1])).rejects.toThrow();
      expect((await db.query('select $1::int as n', [1])).rows).toEqual([{ n: 1 }]);
    });

    it('roll back the transaction they end', async () => {
      const err = await db
        .transaction(async (tx) => {
          await tx.exec("insert into people values ('bob@example.com')");
          await tx.query('insert into people values ($1)', ['ada@example.com']);
        })
        .catch((e: unknown) => e);
      expect(isUniqueViolation(err)).toBe(true);
      expect((await db.query("select 1 from people where email = 'bob@example.com'")).rowCount).toBe(0);
    });
  });
});

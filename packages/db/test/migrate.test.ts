import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, migrate, type MigrationSource } from '../src/index.js';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../src/testing.js';

const app: MigrationSource = { name: 'app', dir: fileURLToPath(new URL('./fixtures/app', import.meta.url)) };
const extra: MigrationSource = { name: 'extra', dir: fileURLToPath(new URL('./fixtures/extra', import.meta.url)) };

describe.each(testDatabaseKinds)('migrate on %s', (kind) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('creates the schema and applies every source in order, with unqualified names', async () => {
    db = await createTestDatabase(kind);
    const applied = await migrate(db, { schema: 'shop', sources: [app, extra] });
    expect(applied).toEqual(['app:001_widgets', 'app:002_widget_price', 'app:010_widget_index', 'extra:001_gadgets']);
    const { rows } = await db.query<{ name: string; price: string }>('select name, price from shop.widgets');
    expect(rows).toEqual([{ name: 'seed', price: '1.50' }]);
    const recorded = await db.query<{ id: string }>('select id from shop.schema_migrations order by applied_at, id');
    expect(recorded.rows.map((r) => r.id)).toEqual(applied);
    // The session's search_path is untouched: the SET was local to each migration's transaction.
    await expect(db.query('select 1 from widgets')).rejects.toThrow(/widgets/);
  });

  it('is idempotent and applies only what was added since', async () => {
    db = await createTestDatabase(kind);
    expect(await migrate(db, { schema: 'shop', sources: [app] })).toHaveLength(3);
    expect(await migrate(db, { schema: 'shop', sources: [app] })).toEqual([]);
    expect(await migrate(db, { schema: 'shop', sources: [app, extra] })).toEqual(['extra:001_gadgets']);
    const { rows } = await db.query<{ n: number }>('select count(*) as n from shop.widgets');
    expect(rows[0]?.n).toBe(1);
  });

  it('keeps two schemas apart', async () => {
    db = await createTestDatabase(kind);
    await migrate(db, { schema: 'one', sources: [app] });
    await migrate(db, { schema: 'two', sources: [app] });
    await db.query(`insert into one.widgets (name) values ('only-in-one')`);
    const { rowCount } = await db.query(`select 1 from two.widgets where name = 'only-in-one'`);
    expect(rowCount).toBe(0);
  });

  it('rolls back a failing migration and records nothing for it', async () => {
    db = await createTestDatabase(kind);
    const broken: MigrationSource = { name: 'broken', dir: fileURLToPath(new URL('./fixtures/broken', import.meta.url)) };
    await expect(migrate(db, { schema: 'shop', sources: [app, broken] })).rejects.toThrow(/nope/);
    const { rows } = await db.query<{ id: string }>('select id from shop.schema_migrations order by id');
    expect(rows.map((r) => r.id)).toEqual(['app:001_widgets', 'app:002_widget_price', 'app:010_widget_index']);
    const half = await db.query(`select 1 from information_schema.tables where table_schema = 'shop' and table_name = 'half_done'`);
    expect(half.rowCount).toBe(0);
  });

  it('refuses schema names that are not plain identifiers', async () => {
    db = await createTestDatabase(kind);
    for (const schema of ['Shop', 'shop; drop table x', '1shop', '', 'sh-op']) {
      await expect(migrate(db, { schema, sources: [app] })).rejects.toThrow(/invalid schema name/);
    }
  });
});

describe('migrate on postgres, several instances at once', () => {
  it('applies each migration exactly once', async () => {
    const db = await createTestDatabase('postgres');
    const instances = Array.from({ length: 4 }, () => createPostgresDatabase({ url: db.url ?? '', max: 2 }));
    try {
      const results = await Promise.all(instances.map((instance) => migrate(instance, { schema: 'shop', sources: [app, extra] })));
      expect(results.flat().sort()).toEqual(['app:001_widgets', 'app:002_widget_price', 'app:010_widget_index', 'extra:001_gadgets']);
      const { rows } = await db.query<{ n: number }>(`select count(*) as n from shop.widgets where name = 'seed'`);
      expect(rows[0]?.n).toBe(1);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
      await db.close();
    }
  });
});

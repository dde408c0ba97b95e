import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { silentLogger } from './internal/logger.js';
import type { Database, MigrationSource, Transaction } from './types.js';

export interface MigrateOptions {
  /** The service's own schema, e.g. `auth`; created when missing. */
  readonly schema: string;
  /** Sets of migrations, applied source by source, each in file-name order. */
  readonly sources: readonly MigrationSource[];
  readonly logger?: Logger;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

interface PendingFile {
  readonly id: string;
  readonly sql: string;
  readonly checksum: string;
}

async function readSource(source: MigrationSource): Promise<PendingFile[]> {
  const names = (await readdir(source.dir)).filter((name) => name.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(source.dir, name), 'utf8');
      return { id: `${source.name}:${name.slice(0, -'.sql'.length)}`, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Serialises migrations of one schema across processes until the transaction ends (Postgres; PGlite is one process). */
async function lock(tx: Transaction, schema: string): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`realchat.migrate.${schema}`]);
}

/**
 * Applies the pending `.sql` files of each source to `schema`, each file in its own transaction
 * with `search_path` set to the schema (so migrations use unqualified names), recording applied
 * ids (`<source>:<file without .sql>`) in `<schema>.schema_migrations`. Safe to run from several
 * instances at once: an advisory lock lets one apply while the others wait and then skip.
 * Returns the ids applied by this call.
 */
export async function migrate(db: Database, options: MigrateOptions): Promise<string[]> {
  const { schema } = options;
  const logger = options.logger ?? silentLogger;
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}: expected ${IDENTIFIER}`);
  for (const source of options.sources) {
    if (!IDENTIFIER.test(source.name)) throw new Error(`invalid migration source name ${JSON.stringify(source.name)}`);
  }
  const files = (await Promise.all(options.sources.map(readSource))).flat();

  await db.transaction(async (tx) => {
    await lock(tx, schema);
    await tx.exec(`
      create schema if not exists ${schema};
      create table if not exists ${schema}.schema_migrations (
        id text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      );`);
  });

  const applied: string[] = [];
  for (const file of files) {
    const ran = await db.transaction(async (tx) => {
      await lock(tx, schema);
      const { rows } = await tx.query<{ checksum: string }>(`select checksum from ${schema}.schema_migrations where id = $1`, [file.id]);
      const existing = rows[0];
      if (existing !== undefined) {
        if (existing.checksum !== file.checksum) logger.warn({ migration: file.id, schema }, 'applied migration file has changed since; not re-applied');
        return false;
      }
      await tx.exec(`set local search_path to ${schema}`);
      await tx.exec(file.sql);
      await tx.query(`insert into ${schema}.schema_migrations (id, checksum) values ($1, $2)`, [file.id, file.checksum]);
      return true;
    });
    if (ran) {
      logger.info({ migration: file.id, schema }, 'migration applied');
      applied.push(file.id);
    }
  }
  return applied;
}

/** Result of one statement: rows typed by the caller, and how many rows it touched. */
export interface QueryResult<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

/** How to run one statement. */
export interface QueryOptions {
  /**
   * Prepares the statement once per connection under this name and reuses its plan (PostgreSQL;
   * PGlite plans every time): for a statement run often whose planning costs more than its run.
   * One name, one SQL text.
   */
  readonly name?: string;
}

/** Anything that runs SQL with `$1` parameters: a database or an open transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<R>>;
}

/** An open transaction: a Queryable that can also run a script of several statements (migrations). */
export interface Transaction extends Queryable {
  /** Runs `sql` as one script (several statements, no parameters). */
  exec(sql: string): Promise<void>;
}

/**
 * A service's database: PostgreSQL through `pg` (distributed) or PGlite (embedded).
 * Connection failures surface as AppError('DATABASE_UNAVAILABLE'); the pool recovers by itself.
 *
 * Value types are the same on both engines: `int8`/`count(*)` are numbers (a value beyond
 * Number.MAX_SAFE_INTEGER throws: cast it to text), `numeric` is a string, `timestamptz`,
 * `timestamp` (read as UTC) and `date` (UTC midnight) are Dates, `json`/`jsonb` are parsed.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `fn` in one transaction (READ COMMITTED); commits if it resolves, rolls back if it throws.
   * Inside `fn`, query through `tx` only: on PostgreSQL the database itself would run the query on
   * another connection, outside the transaction, and on PGlite (one connection) it would wait for
   * the transaction forever. Not guarded at run time: the guard needs AsyncLocalStorage, which costs
   * every promise of the process about 7 % on Node 20.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Resolves when the database answers `select 1`; rejects with DATABASE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One named set of SQL migration files (`NNN_name.sql`, applied in name order). */
export interface MigrationSource {
  /** Prefix of the migration ids, e.g. `bus` or `auth`. */
  readonly name: string;
  /** Absolute path of the folder holding the `.sql` files. */
  readonly dir: string;
}

export type { Database, MigrationSource, Queryable, QueryOptions, QueryResult, Transaction } from './types.js';
export { createPostgresDatabase, type PostgresDatabaseOptions } from './postgres.js';
export { createPGliteDatabase, type PGliteDatabaseOptions } from './pglite.js';
export { migrate, type MigrateOptions } from './migrate.js';
export { isUniqueViolation, constraintOf, isConnectionError } from './errors.js';

import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '@realchat/db';

/**
 * Creates `users` in the service's schema (id, display_name, roles, updated_at) and the
 * case-insensitive name index; list it in the service's `database.migrations`.
 */
export const profilesMigrations: MigrationSource = { name: 'profiles', dir: fileURLToPath(new URL('../migrations', import.meta.url)) };

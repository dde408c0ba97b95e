export { createProfiles, type Profiles, type ProfilesOptions } from './profiles.js';
export { profilesConsumer } from './consumer.js';
export { profilesMigrations } from './migrations.js';
export type { UserSummary } from './types.js';

import type { Clock } from '@realchat/clock';
import type { Database, Queryable } from '@realchat/db';
import type { Identity, IdentityUser } from '@realchat/runtime';
import { ProfilesRepository } from './profiles.repository.js';
import type { UserSummary } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A service's projection of users (`<schema>.users`), filled by `profilesConsumer` and by lookups at auth. */
export interface Profiles {
  /** The user, from the projection or (not seen yet) looked up from auth and kept; null when no such user. */
  find(userId: string): Promise<UserSummary | null>;
  /**
   * Summaries of `ids` by id, from the projection and, for those it lacks, from auth; an account
   * that no longer exists is nameless (`displayName: ''`), so old content still lists it.
   */
  findMany(ids: readonly string[]): Promise<Map<string, UserSummary>>;
  /**
   * For each of `names` that some projected user bears (ignoring case), those users: display
   * names are not unique. No lookup at auth, which has no such search.
   */
  findByNames(names: readonly string[], q?: Queryable): Promise<Map<string, UserSummary[]>>;
  /** Keeps what auth said of a user at `asOf` (read before asking), unless the row is newer. */
  remember(user: IdentityUser, asOf: Date, q?: Queryable): Promise<void>;
}

export interface ProfilesOptions {
  /** The service's schema holding the `users` table (`profilesMigrations` creates it). */
  readonly schema: string;
  readonly db: Database;
  readonly identity: Identity;
  readonly clock: Clock;
}

export function createProfiles(options: ProfilesOptions): Profiles {
  const { db, identity, clock } = options;
  const repo = new ProfilesRepository(options.schema);

  const remember: Profiles['remember'] = (user, asOf, q = db) => repo.upsert(q, { id: user.id, displayName: user.displayName, roles: user.roles, updatedAt: asOf });

  const find = async (userId: string): Promise<UserSummary | null> => {
    if (!UUID.test(userId)) return null;
    const known = await repo.find(db, userId);
    if (known !== undefined) return known;
    // Read the clock before asking: an update made while the answer travels is newer and wins.
    const asOf = clock.now();
    const found = await identity.findUser(userId);
    if (found === null) return null;
    await remember(found, asOf);
    return { id: found.id, displayName: found.displayName };
  };

  return {
    find,
    async findMany(ids) {
      const byId = new Map((await repo.findMany(db, ids.filter((id) => UUID.test(id)))).map((u) => [u.id, u]));
      for (const id of ids) {
        if (!byId.has(id)) byId.set(id, (await find(id)) ?? { id, displayName: '' });
      }
      return byId;
    },
    findByNames: (names, q = db) => repo.findByNames(q, names),
    remember,
  };
}

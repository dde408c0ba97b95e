import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { createEvent, newId } from '@realchat/contracts';
import { migrate } from '@realchat/db';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@realchat/db/testing';
import type { Identity, IdentityUser } from '@realchat/runtime';
import { createProfiles, profilesConsumer, profilesMigrations, type Profiles } from '../src/index.js';

describe.each(testDatabaseKinds)('profiles on %s', (kind) => {
  let db: TestDatabase;
  let profiles: Profiles;
  /** What the stub auth knows, and how often it was asked. */
  const accounts = new Map<string, IdentityUser>();
  let lookups = 0;
  const identity: Identity = {
    findUser: async (id) => {
      lookups++;
      return accounts.get(id) ?? null;
    },
    findUserByEmail: async () => null,
  };
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const name = async (id: string) => (await db.query<{ n: string }>('select display_name as n from forum_t.users where id = $1', [id])).rows[0]?.n;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, { schema: 'forum_t', sources: [profilesMigrations] });
    profiles = createProfiles({ schema: 'forum_t', db, identity, clock });
    accounts.clear();
    lookups = 0;
  });
  afterEach(async () => {
    await db.close();
  });

  it('projects user.created and user.updated, newest wins whatever the order', async () => {
    const consumer = profilesConsumer('forum_t');
    expect([consumer.name, consumer.types]).toEqual(['users', ['user.created', 'user.updated']]);
    const id = newId();
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const updated = (n: string, s: number) => createEvent('user.updated', { userId: id, displayName: n, updatedAt: at(s).toISOString() }, { producer: 'auth', occurredAt: at(s) });
    await consumer.handle(updated('Second', 2), db);
    await consumer.handle(createEvent('user.created', { userId: id, displayName: 'First', roles: ['ADMIN'], createdAt: at(0).toISOString() }, { producer: 'auth', occurredAt: at(0) }), db);
    expect(await name(id)).toBe('Second');
    await consumer.handle(updated('Same time', 2), db);
    expect(await name(id)).toBe('Second');
    await consumer.handle(updated('Third', 3), db);
    expect(await name(id)).toBe('Third');
  });

  it('falls back to auth for an unseen user and keeps the answer; unknown users are null, or nameless in lists', async () => {
    const ada = { id: newId(), displayName: 'Ada', roles: ['STUDENT'] as const };
    accounts.set(ada.id, ada);
    expect(await profiles.find(ada.id)).toEqual({ id: ada.id, displayName: 'Ada' });
    expect(await name(ada.id)).toBe('Ada');
    expect(await profiles.find(ada.id)).toEqual({ id: ada.id, displayName: 'Ada' });
    expect(lookups).toBe(1);
    const ghost = newId();
    expect(await profiles.find(ghost)).toBeNull();
    expect(await profiles.find('not-a-uuid')).toBeNull();
    const many = await profiles.findMany([ada.id, ghost]);
    expect([...many.values()]).toEqual([{ id: ada.id, displayName: 'Ada' }, { id: ghost, displayName: '' }]);
  });

  it('never lets a lookup answer overwrite a newer event', async () => {
    const id = newId();
    await profilesConsumer('forum_t').handle(createEvent('user.updated', { userId: id, displayName: 'New', updatedAt: clock.now().toISOString() }, { producer: 'auth', occurredAt: clock.now() }), db);
    await profiles.remember({ id, displayName: 'Stale', roles: ['STUDENT'] }, new Date(clock.now().getTime() - 1));
    expect(await name(id)).toBe('New');
  });

  it('finds users by display name, ignoring case', async () => {
    const [a, b, c] = [newId(), newId(), newId()];
    for (const [id, n] of [[a, 'Ada Lovelace'], [b, 'ÉMILE'], [c, 'ada lovelace']] as const) await profiles.remember({ id, displayName: n, roles: ['STUDENT'] }, clock.now());
    const found = await profiles.findByNames(['ADA LOVELACE', 'émile', 'nobody', 'émile']);
    expect([...found.keys()].sort()).toEqual(['ADA LOVELACE', 'émile']);
    expect(found.get('ADA LOVELACE')?.map((u) => u.id)).toEqual([a, c].sort());
    expect(found.get('émile')).toEqual([{ id: b, displayName: 'ÉMILE' }]);
    expect((await profiles.findByNames([])).size).toBe(0);
  });

  it('refuses a schema name that is not an identifier', () => {
    expect(() => createProfiles({ schema: 'x; drop table y', db, identity, clock })).toThrow(TypeError);
  });
});

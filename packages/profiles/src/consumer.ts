import { isEventOf, UserCreated, UserUpdated } from '@realchat/contracts';
import type { EventConsumer } from '@realchat/runtime';
import { ProfilesRepository } from './profiles.repository.js';

/** Keeps `<schema>.users` from auth's news; an older event never overwrites a newer row. Durable name: `<service>-users`. */
export function profilesConsumer(schema: string): EventConsumer {
  const repo = new ProfilesRepository(schema);
  return {
    name: 'users',
    types: [UserCreated.type, UserUpdated.type],
    async handle(event, tx) {
      if (isEventOf(event, UserCreated)) {
        const { userId, displayName, roles, createdAt } = event.data;
        await repo.upsert(tx, { id: userId, displayName, roles, updatedAt: new Date(createdAt) });
      } else if (isEventOf(event, UserUpdated)) {
        const { userId, displayName, updatedAt } = event.data;
        await repo.upsert(tx, { id: userId, displayName, updatedAt: new Date(updatedAt) });
      }
    },
  };
}

import { isEventOf, UserCreated, UserUpdated } from '@realchat/contracts';
import type { App } from '@realchat/http';
import type { EventConsumer } from '@realchat/runtime';
import type { ChatContext } from '../context.js';
import type { People } from '../domain/types.js';
import { PeopleRepository } from './people.repository.js';
import { peopleRoutes } from './people.routes.js';
import { PeopleService } from './people.service.js';

/** The user projection, friends and blocks: their routes, their consumers and the `People` seam. */
export interface PeoplePart {
  readonly people: People;
  readonly consumers: readonly EventConsumer[];
  register(app: App): Promise<void>;
  /** Waits for the work still running after its answer (requests by email). */
  stop(): Promise<void>;
}

/** Keeps `chat.users` from auth's news; an older event never overwrites a newer row. */
export function usersConsumer(): EventConsumer {
  const repo = new PeopleRepository();
  return {
    name: 'users',
    types: [UserCreated.type, UserUpdated.type],
    async handle(event, tx) {
      if (isEventOf(event, UserCreated)) {
        const { userId, displayName, roles, createdAt } = event.data;
        await repo.upsertUser(tx, { id: userId, displayName, roles, updatedAt: new Date(createdAt) });
      } else if (isEventOf(event, UserUpdated)) {
        const { userId, displayName, updatedAt } = event.data;
        await repo.upsertUser(tx, { id: userId, displayName, updatedAt: new Date(updatedAt) });
      }
    },
  };
}

export function createPeople(context: ChatContext): PeoplePart {
  const service = new PeopleService(context);
  return {
    people: service,
    consumers: [usersConsumer()],
    register: (app) => peopleRoutes(app, service),
    stop: () => service.idle(),
  };
}

import type { App } from '@realchat/http';
import { createProfiles, profilesConsumer } from '@realchat/profiles';
import type { EventConsumer } from '@realchat/runtime';
import { CHAT_SCHEMA, type ChatContext } from '../context.js';
import type { FriendshipWatcher, People } from '../domain/types.js';
import { peopleRoutes } from './people.routes.js';
import { PeopleService } from './people.service.js';

/** The user projection, friends and blocks: their routes, their consumers and the `People` seam. */
export interface PeoplePart {
  readonly people: People;
  readonly consumers: readonly EventConsumer[];
  register(app: App): Promise<void>;
  /** Tells `watcher` of each friendship started or ended from now on. */
  watch(watcher: FriendshipWatcher): void;
  /** Waits for the work still running after its answer (requests by email). */
  stop(): Promise<void>;
}

export function createPeople(context: ChatContext): PeoplePart {
  const profiles = createProfiles({ schema: CHAT_SCHEMA, db: context.db, identity: context.identity, clock: context.clock });
  const service = new PeopleService(context, profiles);
  return {
    people: service,
    consumers: [profilesConsumer(CHAT_SCHEMA)],
    register: (app) => peopleRoutes(app, service),
    watch: (watcher) => service.watch(watcher),
    stop: () => service.idle(),
  };
}

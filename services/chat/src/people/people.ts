import type { App } from '@realchat/http';
import type { EventConsumer } from '@realchat/runtime';
import type { ChatContext } from '../context.js';
import type { People } from '../domain/types.js';

/** The user projection, friends and blocks: their routes, their consumers and the `People` seam. */
export interface PeoplePart {
  readonly people: People;
  readonly consumers: readonly EventConsumer[];
  register(app: App): Promise<void>;
}

export function createPeople(_context: ChatContext): PeoplePart {
  return {
    people: { find: async () => null, friendIds: async () => [], blockedBetween: async () => false },
    consumers: [],
    register: async () => undefined,
  };
}

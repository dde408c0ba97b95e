import { AppError } from '@realchat/errors';
import type { App } from '@realchat/http';
import type { ChatContext } from '../context.js';
import type { LiveHub, Messaging, People } from '../domain/types.js';

/** Conversations, members, messages, reactions and search: their routes and the `Messaging` seam. */
export interface MessagingPart {
  readonly messaging: Messaging;
  register(app: App): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createMessaging(_context: ChatContext, _deps: { readonly people: People; readonly hub: LiveHub }): MessagingPart {
  const unbuilt = async (): Promise<never> => {
    throw new AppError('INTERNAL', 'not built yet');
  };
  return {
    messaging: { send: unbuilt, messagesAfter: unbuilt, memberships: unbuilt, membersOf: unbuilt, markRead: unbuilt, markDelivered: unbuilt },
    register: async () => undefined,
    start: async () => undefined,
    stop: async () => undefined,
  };
}

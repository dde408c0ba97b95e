import type { App } from '@realchat/http';
import type { ChatContext } from '../context.js';
import type { LiveHub, Messaging, People } from '../domain/types.js';
import { ConversationsService } from './conversations.service.js';
import { messagingRoutes } from './messaging.routes.js';
import { MessagingService } from './messaging.service.js';

/** Conversations, members, messages, reactions and search: their routes and the `Messaging` seam. */
export interface MessagingPart {
  readonly messaging: Messaging;
  register(app: App): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createMessaging(context: ChatContext, deps: { readonly people: People; readonly hub: LiveHub }): MessagingPart {
  const messages = new MessagingService(context, deps.hub);
  const conversations = new ConversationsService(context, deps.people, deps.hub);
  return {
    messaging: messages,
    register: (app) => messagingRoutes(app, conversations, messages),
    start: async () => undefined,
    stop: () => messages.idle(),
  };
}

export { chatService, type ChatModule } from './module.js';
export { ChatEnvSchema, type ChatEnv } from './config.js';
export { ChatErrors } from './errors.js';
export { ChatMessageCreated, FriendRequestCreated, FriendRequestAccepted, CHAT_EVENTS, type ChatMessageCreatedData } from './events.js';
export type { ChatMessage, Conversation, LiveFrame, UserSummary, ReactionCount } from './domain/types.js';

import type { paths } from '../generated/index.js';

/** A message as the REST API and the socket carry it. */
export type ChatMessage = paths['/chat/conversations/{id}/messages']['get']['responses'][200]['content']['application/json']['items'][number];
export type Conversation = paths['/chat/conversations/{id}']['get']['responses'][200]['content']['application/json'];
export interface ReactionCount {
  readonly emoji: string;
  readonly count: number;
}

/**
 * What `/chat/ws` pushes (services/chat/src/domain/types.ts `LiveFrame`, plus the socket's own
 * frames). Written by hand: WebSocket frames are in no OpenAPI document.
 */
export type ChatPush =
  | { readonly type: 'message.new'; readonly message: ChatMessage }
  | { readonly type: 'message.updated'; readonly message: ChatMessage }
  | { readonly type: 'message.deleted'; readonly message: ChatMessage }
  | { readonly type: 'reaction'; readonly conversationId: string; readonly messageId: string; readonly userId: string; readonly emoji: string; readonly action: 'added' | 'removed'; readonly reactions: readonly ReactionCount[] }
  | { readonly type: 'typing'; readonly conversationId: string; readonly userId: string }
  | { readonly type: 'read'; readonly conversationId: string; readonly userId: string; readonly seq: number }
  | { readonly type: 'delivered'; readonly conversationId: string; readonly userId: string; readonly seq: number }
  | { readonly type: 'presence'; readonly userId: string; readonly status: 'online' | 'offline'; readonly lastSeenAt: string | null }
  | { readonly type: 'conversation.updated'; readonly conversation: Conversation }
  | { readonly type: 'conversation.removed'; readonly conversationId: string };

/** The server's answer to a `message.send`. */
export interface MessageAck {
  readonly clientMsgId: string;
  readonly id: string;
  readonly seq: number;
  readonly createdAt: string;
}

/** The answer to a `resume`: every conversation's last seq, and those with too much missed to replay. */
export interface Resumed {
  readonly conversations: ReadonlyArray<{ readonly id: string; readonly lastSeq: number }>;
  /** Their missed messages were not replayed: load them over REST (history `after`). */
  readonly truncated: readonly string[];
}

export type ChatServerFrame =
  | ChatPush
  | ({ readonly type: 'message.ack' } & MessageAck)
  | ({ readonly type: 'resumed' } & Resumed)
  | { readonly type: 'error'; readonly code: string; readonly ref?: string }
  | { readonly type: 'pong'; readonly ref?: string };

/** What a client sends on `/chat/ws` besides `auth` and `ping` (services/chat/src/live/frames.ts). */
export type ChatClientFrame =
  | { readonly type: 'message.send'; readonly conversationId: string; readonly clientMsgId: string; readonly body: string }
  | { readonly type: 'typing'; readonly conversationId: string }
  | { readonly type: 'read' | 'delivered'; readonly conversationId: string; readonly seq: number }
  | { readonly type: 'resume'; readonly cursors: Readonly<Record<string, number>> };

/**
 * The seams between chat's parts: people (projection, friends, blocks), conversations and
 * messages, and the live layer (sockets, fan-out, presence). Each part is built against these.
 */

export interface UserSummary {
  readonly id: string;
  readonly displayName: string;
}

export interface ReactionCount {
  readonly emoji: string;
  readonly count: number;
}

/** A message as clients see it. A deleted one keeps its id and seq, with an empty body and `deletedAt`. */
export interface ChatMessage {
  readonly id: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly senderId: string;
  readonly clientMsgId: string;
  readonly body: string;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deletedAt: string | null;
  readonly reactions: readonly ReactionCount[];
}

export interface Conversation {
  readonly id: string;
  readonly type: 'direct' | 'group';
  /** Null for a direct conversation. */
  readonly name: string | null;
  readonly createdBy: string;
  /** Each with where they are: the highest seq read, and received on any device (receipts after a reload). */
  readonly members: readonly (UserSummary & { readonly role: 'owner' | 'member'; readonly readSeq: number; readonly deliveredSeq: number })[];
  readonly lastSeq: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastActivityAt: string;
}

/** What the server pushes on `/chat/ws` (ARCHITECTURE.md §8); `ready` and `error` are the socket's own. */
export type LiveFrame =
  | { readonly type: 'message.new'; readonly message: ChatMessage }
  | { readonly type: 'message.updated'; readonly message: ChatMessage }
  | { readonly type: 'message.deleted'; readonly message: ChatMessage }
  | { readonly type: 'reaction'; readonly conversationId: string; readonly messageId: string; readonly userId: string; readonly emoji: string; readonly action: 'added' | 'removed'; readonly reactions: readonly ReactionCount[] }
  | { readonly type: 'typing'; readonly conversationId: string; readonly userId: string }
  | { readonly type: 'read'; readonly conversationId: string; readonly userId: string; readonly seq: number }
  | { readonly type: 'delivered'; readonly conversationId: string; readonly userId: string; readonly seq: number }
  | { readonly type: 'presence'; readonly userId: string; readonly status: 'online' | 'offline'; readonly lastSeenAt: string | null }
  | { readonly type: 'conversation.updated'; readonly conversation: Conversation }
  /** To a user removed from (or leaving) a conversation: their clients drop it. */
  | { readonly type: 'conversation.removed'; readonly conversationId: string };

/**
 * Live fan-out: at most once, to every open socket of these users on every instance (over NATS
 * core subjects when distributed, in process when embedded). Never throws and never waits: a
 * frame lost here is recovered by `resume` from the database.
 */
export interface LiveHub {
  deliver(userIds: readonly string[], frame: LiveFrame): void;
}

/** People: the user projection, friendships and blocks. */
export interface People {
  /** The user, from the projection or (not seen yet) looked up from auth; null when no such user. */
  find(userId: string): Promise<UserSummary | null>;
  /** The ids of `userId`'s friends (for presence). */
  friendIds(userId: string): Promise<readonly string[]>;
  /** True when either user blocked the other. */
  blockedBetween(a: string, b: string): Promise<boolean>;
}

/**
 * Hears of friendships starting and ending (an unfriend, or a block), after their commit: presence
 * follows at once instead of at the next connect. Never throws and never waits.
 */
export interface FriendshipWatcher {
  befriended(a: string, b: string): void;
  parted(a: string, b: string): void;
}

export interface SendInput {
  readonly conversationId: string;
  readonly senderId: string;
  readonly clientMsgId: string;
  readonly body: string;
}

/** A stored send: `created` is false for a repeated clientMsgId (the message stored first). */
export interface SendResult {
  readonly message: ChatMessage;
  readonly created: boolean;
}

/** A send that passed validation and the sender's rate and waits for its batch; `done` settles after the commit. */
export interface QueuedSend {
  readonly done: Promise<SendResult>;
}

/** Conversations and messages: what the live layer calls. Throws AppError with chat or generic codes. */
export interface Messaging {
  /**
   * Validates (member, not blocked, length, the sender's rate), persists with the next seq, then
   * hands the message to the hub and the outbox. A repeated (conversation, sender, clientMsgId)
   * resolves to the message stored first and stores nothing.
   */
  send(input: SendInput): Promise<ChatMessage>;
  /**
   * `send` up to the batch queue: resolves once the send is validated and queued (it throws what
   * `send` throws before that), with the rest to come in `done`. Sends queued one after another
   * commit in that order.
   */
  queue(input: SendInput): Promise<QueuedSend>;
  /** Messages of a conversation the user is a member of with seq > `after`, oldest first, at most `limit`. */
  messagesAfter(userId: string, conversationId: string, after: number, limit: number): Promise<readonly ChatMessage[]>;
  /** The conversation ids the user is a member of, with their last seq. */
  memberships(userId: string): Promise<ReadonlyMap<string, number>>;
  /** The member ids of a conversation the user belongs to (NOT_A_MEMBER otherwise). */
  membersOf(userId: string, conversationId: string): Promise<readonly string[]>;
  /** Records the member's read (or delivered) position, never lowering it, and tells the members; returns the stored seq. */
  markRead(userId: string, conversationId: string, seq: number): Promise<number>;
  markDelivered(userId: string, conversationId: string, seq: number): Promise<number>;
}

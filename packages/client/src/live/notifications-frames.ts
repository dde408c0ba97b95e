/**
 * `/notifications/ws` frames, by hand (WebSocket frames are in no OpenAPI document), after the
 * notifications service's `LiveFrame` and socket (services/notifications/src/domain/types.ts,
 * live/socket.ts).
 */

export type NotificationType = 'forum.comment' | 'forum.reply' | 'forum.mention' | 'chat.friend_request' | 'chat.friend_accepted' | 'chat.message' | 'auth.new_device';

/** A notification as the inbox and the socket carry it. */
export interface Notification {
  readonly id: string;
  /** The recipient's sequence number; a collapsed notification that grows comes again (same id) with a new one. */
  readonly seq: number;
  readonly type: NotificationType;
  readonly actor: { readonly id: string; readonly displayName: string | null } | null;
  /** The path the app opens (`/forum/posts/<id>#comment-<id>`). */
  readonly target: string;
  /** Plain text, never HTML. */
  readonly preview: string | null;
  readonly count: number;
  readonly read: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type NotificationsPush = { readonly type: 'notification.new'; readonly notification: Notification } | { readonly type: 'unread'; readonly count: number };

/** The answer to a `resume`: the last seq replayed, and whether more was missed than the server replays. */
export interface NotificationsResumed {
  readonly lastSeq: number;
  readonly truncated: boolean;
}

export type NotificationsServerFrame =
  | NotificationsPush
  | ({ readonly type: 'resumed' } & NotificationsResumed)
  | { readonly type: 'error'; readonly code: string; readonly ref?: string }
  | { readonly type: 'pong'; readonly ref?: string };

export type NotificationsClientFrame = { readonly type: 'resume'; readonly after: number };

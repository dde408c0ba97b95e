import { Type, type Static } from 'typebox';

/** The seams between the notification service's parts: sources, the inbox, the live layer. */

/** Every kind of notification; a user may mute any of them. */
export const NotificationTypeSchema = Type.Union([
  Type.Literal('forum.comment'),
  Type.Literal('forum.reply'),
  Type.Literal('forum.mention'),
  Type.Literal('chat.friend_request'),
  Type.Literal('chat.friend_accepted'),
  Type.Literal('chat.message'),
  Type.Literal('auth.new_device'),
]);
export type NotificationType = Static<typeof NotificationTypeSchema>;
export const NOTIFICATION_TYPES: readonly NotificationType[] = NotificationTypeSchema.anyOf.map((literal) => literal.const);

/** A notification as clients see it (REST and socket alike). */
export interface Notification {
  readonly id: string;
  /** The recipient's sequence number: newest is highest; a collapsed notification takes a new one when it grows. */
  readonly seq: number;
  readonly type: NotificationType;
  /** Who did it; null when nobody did (a sign-in is the recipient's own). */
  readonly actor: { readonly id: string; readonly displayName: string | null } | null;
  /** The path a client opens (`/forum/posts/<id>#comment-<id>`). */
  readonly target: string;
  /** A short plain-text excerpt, never HTML. */
  readonly preview: string | null;
  /** Events it stands for (more than 1 only for collapsed chat messages). */
  readonly count: number;
  readonly read: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What a source asks the inbox to write for one recipient. */
export interface Draft {
  readonly recipientId: string;
  readonly type: NotificationType;
  readonly actorId: string | null;
  readonly target: string;
  readonly preview: string | null;
  /** Unread notifications of a recipient with the same key collapse into one whose count grows. */
  readonly collapseKey?: string;
}

/** What the server pushes on `/notifications/ws`; `ready`, `error`, `pong` and `resumed` are the socket's own. */
export type LiveFrame = { readonly type: 'notification.new'; readonly notification: Notification } | { readonly type: 'unread'; readonly count: number };

/** Live fan-out to every open socket of these users on every instance; never throws, never waits (a lost frame is recovered by `resume`). */
export interface LiveHub {
  deliver(userIds: readonly string[], frame: LiveFrame): void;
}

/** Whether a user has an open authenticated socket on any instance. */
export interface OnlineUsers {
  isOnline(userId: string): Promise<boolean>;
}

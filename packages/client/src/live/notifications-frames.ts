import type { paths } from '../generated/notifications.js';

/**
 * `/notifications/ws` frames, by hand (WebSocket frames are in no OpenAPI document), after the
 * notifications service's `LiveFrame` and socket (services/notifications/src/domain/types.ts,
 * live/socket.ts). The notification they carry is the inbox's, generated from its OpenAPI document.
 */

/** A notification as the inbox (GET /notifications) and the socket carry it: the inbox's OpenAPI schema. */
export type Notification = Readonly<paths['/notifications']['get']['responses'][200]['content']['application/json']['items'][number]>;

export type NotificationType = Notification['type'];

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

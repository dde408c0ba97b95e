import { Type, type Static } from 'typebox';

/** The notification service's own variables (the runtime's and AUTH_* come on top). */
export const NotificationsEnvSchema = Type.Object({
  NOTIFICATIONS_RESUME_MAX: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'Most notifications one `resume` replays; past it the client pages `GET /notifications`.' }),
  NOTIFICATIONS_SOCKET_QUEUE_MAX: Type.Integer({ minimum: 16, default: 1_024, description: 'Frames queued for one slow socket before it is closed (4008) to resume later.' }),
  NOTIFICATIONS_AUTH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000, description: 'Time a new socket has to send a valid `auth` frame.' }),
  NOTIFICATIONS_ONLINE_TTL_MS: Type.Integer({
    minimum: 1_000,
    default: 30_000,
    description: 'How long a user counts as online after their instance stopped renewing it (heartbeats every third of it): chat messages notify a user only while offline.',
  }),
});

export type NotificationsEnv = Static<typeof NotificationsEnvSchema>;

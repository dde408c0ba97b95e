import { Type, type Static } from 'typebox';

/** The chat service's own variables (the runtime's and AUTH_* come on top). */
export const ChatEnvSchema = Type.Object({
  CHAT_MESSAGE_MAX_LENGTH: Type.Integer({ minimum: 1, maximum: 16_000, default: 4_000, description: 'Longest message body, in characters.' }),
  CHAT_GROUP_MAX_MEMBERS: Type.Integer({
    minimum: 2,
    maximum: 10_000,
    default: 1_000,
    description: 'Most members a group holds. At most 10,000: chat.message.created lists the recipients, and the bus takes events up to 512 KiB.',
  }),
  CHAT_SEND_RATE_PER_MINUTE: Type.Integer({ minimum: 1, default: 600, description: 'Messages one user may send per minute, over every socket and REST.' }),
  CHAT_RESUME_MAX_MESSAGES: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'Most messages one `resume` replays; past it the client pages the history over REST.' }),
  CHAT_SOCKET_QUEUE_MAX: Type.Integer({ minimum: 16, default: 1_024, description: 'Frames queued for one slow socket before it is closed (4008) to resume later.' }),
  CHAT_PRESENCE_TTL_MS: Type.Integer({ minimum: 1_000, default: 60_000, description: 'How long a user stays online after their instance stopped renewing it (heartbeats every third of it): a killed instance\'s users go offline after this.' }),
  CHAT_AUTH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5_000, description: 'Time a new socket has to send a valid `auth` frame.' }),
});

export type ChatEnv = Static<typeof ChatEnvSchema>;

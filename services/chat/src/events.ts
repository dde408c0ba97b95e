import { Type, type Static } from 'typebox';
import { defineEvent } from '@realchat/contracts';

/**
 * A message was persisted; for the notification service (chat members' own sockets get it live).
 * `recipientIds` are the conversation's other members at the time of the send.
 */
export const ChatMessageCreated = defineEvent(
  'chat.message.created',
  1,
  Type.Object(
    {
      messageId: Type.String({ format: 'uuid' }),
      conversationId: Type.String({ format: 'uuid' }),
      conversationType: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
      conversationName: Type.Union([Type.String(), Type.Null()]),
      seq: Type.Integer({ minimum: 1 }),
      senderId: Type.String({ format: 'uuid' }),
      recipientIds: Type.Array(Type.String({ format: 'uuid' })),
      preview: Type.String({ maxLength: 200 }),
      createdAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);
export type ChatMessageCreatedData = Static<typeof ChatMessageCreated.schema>;

/** A friend request was sent (for notifications). */
export const FriendRequestCreated = defineEvent(
  'chat.friend_request.created',
  1,
  Type.Object(
    { requestId: Type.String({ format: 'uuid' }), fromUserId: Type.String({ format: 'uuid' }), toUserId: Type.String({ format: 'uuid' }), createdAt: Type.String({ format: 'date-time' }) },
    { additionalProperties: false },
  ),
);

/** A friend request was accepted (for notifications: the requester hears of it). */
export const FriendRequestAccepted = defineEvent(
  'chat.friend_request.accepted',
  1,
  Type.Object(
    { requestId: Type.String({ format: 'uuid' }), fromUserId: Type.String({ format: 'uuid' }), toUserId: Type.String({ format: 'uuid' }), acceptedAt: Type.String({ format: 'date-time' }) },
    { additionalProperties: false },
  ),
);

export const CHAT_EVENTS = [ChatMessageCreated, FriendRequestCreated, FriendRequestAccepted] as const;

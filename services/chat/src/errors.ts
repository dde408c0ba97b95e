import { defineErrors } from '@realchat/errors';

/** The chat service's own error codes (the generic ones are `@realchat/errors'`); also the `code` of socket `error` frames. */
export const ChatErrors = defineErrors('chat', {
  NOT_A_MEMBER: { status: 403, title: 'Not a member of the conversation', description: 'Only members read and write a conversation.' },
  BLOCKED: { status: 403, title: 'Blocked', description: 'One of the two users blocked the other: no messages, requests or presence between them.' },
  NOT_FRIENDS: { status: 403, title: 'Not friends', description: 'This needs a friendship between the two users.' },
  ALREADY_FRIENDS: { status: 409, title: 'Already friends', description: 'The two users are friends already.' },
  FRIEND_REQUEST_PENDING: { status: 409, title: 'A friend request is pending', description: 'A pending request between the two users exists already (either way).' },
  MESSAGE_TOO_LONG: { status: 400, title: 'The message is too long', description: 'A message holds at most CHAT_MESSAGE_MAX_LENGTH characters.' },
  GROUP_FULL: { status: 409, title: 'The group is full', description: 'A group holds at most CHAT_GROUP_MAX_MEMBERS members.' },
  MESSAGE_DELETED: { status: 409, title: 'The message is deleted', description: 'A deleted message can no longer be edited or reacted to.' },
  SEND_RATE_LIMITED: { status: 429, title: 'Too many messages', description: 'The sender exceeded CHAT_SEND_RATE_PER_MINUTE.' },
  RESUME_TOO_FAR: { status: 409, title: 'Too much to resume', description: 'More messages were missed than one resume replays: page the history over REST.' },
  BAD_FRAME: { status: 400, title: 'The frame is not valid', description: 'A socket frame that is not JSON, has an unknown type or wrong fields.' },
  NOT_AUTHENTICATED: { status: 401, title: 'The socket is not authenticated', description: 'A frame arrived before a valid `auth` frame.' },
  NOT_A_GROUP: { status: 409, title: 'Not a group', description: 'A direct conversation has no name and its two members are fixed: this works on groups only.' },
  SELF_TARGET: { status: 400, title: 'Not with yourself', description: 'A friend request or a block names the caller.' },
});

import { ChatMessageCreated, FriendRequestAccepted, FriendRequestCreated } from '@realchat/chat';
import type { Draft } from '../domain/types.js';
import { defineSource, on } from './source.js';

/**
 * Friend requests and their acceptance; messages only to recipients with no open notification
 * socket anywhere, collapsed into one unread notification per conversation.
 */
export const chatSource = defineSource('chat', [
  on(FriendRequestCreated, (r) => [{ recipientId: r.toUserId, type: 'chat.friend_request', actorId: r.fromUserId, target: `/chat/friends/requests#${r.requestId}`, preview: null }]),
  on(FriendRequestAccepted, (r) => [{ recipientId: r.fromUserId, type: 'chat.friend_accepted', actorId: r.toUserId, target: `/chat/friends/${r.toUserId}`, preview: null }]),
  on(ChatMessageCreated, async (m, { online }) => {
    const drafts: Draft[] = [];
    for (const recipientId of m.recipientIds) {
      if (await online.isOnline(recipientId)) continue;
      drafts.push({ recipientId, type: 'chat.message', actorId: m.senderId, target: `/chat/conversations/${m.conversationId}`, preview: m.preview, collapseKey: `conversation:${m.conversationId}` });
    }
    return drafts;
  }),
]);

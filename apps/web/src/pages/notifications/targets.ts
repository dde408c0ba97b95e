import type { NotificationType } from '@realchat/client';

/**
 * The app path (hash route) of a notification's `target`, after the notifications service's sources
 * (services/notifications/src/sources/*.ts): `/forum/posts/<id>[#comment-<id>]`,
 * `/chat/conversations/<id>`, `/chat/friends/requests#<id>`, `/chat/friends/<userId>`, `/auth/sessions/<id>`.
 */
export function appPathOf(target: string): string {
  const [path = '', fragment = ''] = target.split('#');
  const post = /^\/forum\/posts\/([^/]+)$/.exec(path);
  if (post?.[1] !== undefined) {
    const comment = /^comment-(.+)$/.exec(fragment)?.[1];
    return `/forum/posts/${post[1]}${comment === undefined ? '' : `?comment=${comment}`}`;
  }
  const conversation = /^\/chat\/conversations\/([^/]+)$/.exec(path);
  if (conversation?.[1] !== undefined) return `/chat/${conversation[1]}`;
  if (path === '/chat/friends' || path.startsWith('/chat/friends/')) return '/chat/friends';
  if (path.startsWith('/auth/sessions')) return '/account/devices';
  return '/notifications';
}

/** What a notification says, from its type, who did it and how many times (only chat messages collapse). */
export function sentenceOf(n: { readonly type: NotificationType; readonly actor: { readonly displayName: string | null } | null; readonly count: number }): string {
  const who = n.actor?.displayName ?? 'Someone';
  switch (n.type) {
    case 'forum.comment':
      return `${who} commented on your post`;
    case 'forum.reply':
      return `${who} replied to your comment`;
    case 'forum.mention':
      return `${who} mentioned you`;
    case 'chat.friend_request':
      return `${who} sent you a friend request`;
    case 'chat.friend_accepted':
      return `${who} accepted your friend request`;
    case 'chat.message':
      return n.count > 1 ? `${n.count} new messages from ${who}` : `New message from ${who}`;
    case 'auth.new_device':
      return 'New sign-in to your account from a device';
  }
}

/** The preferences' words for each type. */
export const TYPE_LABELS: Record<NotificationType, string> = {
  'forum.comment': 'Comments on my posts',
  'forum.reply': 'Replies to my comments',
  'forum.mention': 'Mentions of me',
  'chat.friend_request': 'Friend requests',
  'chat.friend_accepted': 'Accepted friend requests',
  'chat.message': 'Chat messages',
  'auth.new_device': 'Sign-ins from a new device',
};

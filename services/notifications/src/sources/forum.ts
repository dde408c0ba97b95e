import { ForumCommentCreated, ForumPostCreated } from '@realchat/forum';
import { defineSource, on } from './source.js';

/**
 * A post notifies the users it mentions (forum.mention). A comment notifies the parent comment's
 * author (forum.reply), the post's author (forum.comment) and the users it mentions
 * (forum.mention); someone who is several of these gets the first only.
 */
export const forumSource = defineSource('forum', [
  on(ForumPostCreated, (p) => p.mentionedUserIds.map((recipientId) => ({ recipientId, type: 'forum.mention' as const, actorId: p.authorId, target: `/forum/posts/${p.postId}`, preview: p.title }))),
  on(ForumCommentCreated, (c) => {
    const target = `/forum/posts/${c.postId}#comment-${c.commentId}`;
    const base = { actorId: c.authorId, target, preview: c.preview };
    return [
      ...(c.parentAuthorId === null ? [] : [{ ...base, recipientId: c.parentAuthorId, type: 'forum.reply' as const }]),
      { ...base, recipientId: c.postAuthorId, type: 'forum.comment' as const },
      ...c.mentionedUserIds.map((recipientId) => ({ ...base, recipientId, type: 'forum.mention' as const })),
    ];
  }),
]);

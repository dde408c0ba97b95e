import { Type, type Static } from 'typebox';
import { defineEvent } from '@realchat/contracts';

const Uuid = Type.String({ format: 'uuid' });

/** A post was published (for notifications and search elsewhere). */
export const ForumPostCreated = defineEvent(
  'forum.post.created',
  1,
  Type.Object(
    {
      postId: Uuid,
      categoryId: Uuid,
      authorId: Uuid,
      title: Type.String({ maxLength: 200 }),
      mentionedUserIds: Type.Array(Uuid),
      createdAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);
export type ForumPostCreatedData = Static<typeof ForumPostCreated.schema>;

/**
 * A comment was written. It names who may care: the post's author, the parent comment's author
 * (a reply) and the users mentioned by `@displayName`; the notification service picks from them.
 */
export const ForumCommentCreated = defineEvent(
  'forum.comment.created',
  1,
  Type.Object(
    {
      commentId: Uuid,
      postId: Uuid,
      postTitle: Type.String({ maxLength: 200 }),
      postAuthorId: Uuid,
      parentId: Type.Union([Uuid, Type.Null()]),
      parentAuthorId: Type.Union([Uuid, Type.Null()]),
      authorId: Uuid,
      mentionedUserIds: Type.Array(Uuid),
      preview: Type.String({ maxLength: 200 }),
      createdAt: Type.String({ format: 'date-time' }),
    },
    { additionalProperties: false },
  ),
);
export type ForumCommentCreatedData = Static<typeof ForumCommentCreated.schema>;

export const FORUM_EVENTS = [ForumPostCreated, ForumCommentCreated] as const;

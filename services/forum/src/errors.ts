import { defineErrors } from '@realchat/errors';

/** The forum service's own error codes (the generic ones are `@realchat/errors'`). */
export const ForumErrors = defineErrors('forum', {
  NOT_THE_AUTHOR: { status: 403, title: 'Not the author', description: 'Only the author edits a post or comment; only the author or an ADMIN deletes it.' },
  POST_LOCKED: { status: 409, title: 'The post is locked', description: 'An ADMIN locked the post: it takes no new comments.' },
  COMMENT_DELETED: { status: 409, title: 'The comment is deleted', description: 'A deleted comment can no longer be edited or replied to.' },
  NESTED_REPLY: { status: 400, title: 'Replies are one level deep', description: '`parentId` names a reply: reply to its top-level comment instead.' },
  INVALID_PARENT: { status: 400, title: 'No such parent comment', description: '`parentId` names no comment of this post.' },
  CATEGORY_EXISTS: { status: 409, title: 'The category exists', description: 'Another category has this name (ignoring case).' },
  CATEGORY_NOT_EMPTY: { status: 409, title: 'The category holds posts', description: 'Move or delete its posts before deleting a category.' },
});

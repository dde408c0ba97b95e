export { forumService } from './module.js';
export { ForumEnvSchema, type ForumEnv } from './config.js';
export { ForumErrors } from './errors.js';
export { ForumPostCreated, ForumCommentCreated, FORUM_EVENTS, type ForumPostCreatedData, type ForumCommentCreatedData } from './events.js';
export { LIST_COMMENTS_SQL } from './comments/comments.repository.js';

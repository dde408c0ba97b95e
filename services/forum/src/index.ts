export { ForumPostCreated, ForumCommentCreated, FORUM_EVENTS, type ForumPostCreatedData, type ForumCommentCreatedData } from './events.js';

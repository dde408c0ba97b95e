import type { Authentication } from '@realchat/auth-verify';
import type { ServiceContext } from '@realchat/runtime';
import type { ForumEnv } from './config.js';

/** What the forum's parts receive from the host. */
export type ForumContext = ServiceContext<ForumEnv> & { readonly authentication: Authentication };

/** The forum schema: every query names it (`forum.posts`), as the host does not set a search_path. */
export const FORUM_SCHEMA = 'forum';

import { startTestSystem, type TestSystem, type Variant } from '@realchat/testkit';
import { forumService } from '../src/index.js';

export { call, eventually, PASSWORD, promote, signUp, variants, type TestUser, type Variant } from '@realchat/testkit';

/** The category every fresh install has (migration 001). */
export const DEFAULT_CATEGORY_ID = '00000000-0000-4000-8000-000000000001';

export type ForumHarness = TestSystem;

/** Auth and the forum hosted in one gateway process, as `npm start` runs them, on the engines of `variant`. */
export function startForum(variant: Variant, options: { readonly env?: Readonly<Record<string, string>> } = {}): Promise<ForumHarness> {
  return startTestSystem(variant, { name: 'forum', services: [forumService], ...options, eventTypes: ['user.created', 'user.updated', 'forum.post.created', 'forum.comment.created'] });
}

export interface PageOf<T> {
  items: T[];
  nextCursor: string | null;
}
export interface Problem {
  code: string;
}

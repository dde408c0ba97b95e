import type { api } from '@realchat/client';

type Json<T> = T extends { content: { 'application/json': infer J } } ? J : never;
type Paths = api.paths;

export type Category = Json<Paths['/forum/categories']['post']['responses'][201]>;
export type Post = Json<Paths['/forum/posts/{id}']['get']['responses'][200]>;
export type Comment = Json<Paths['/forum/posts/{id}/comments']['post']['responses'][201]>;
export type SearchHit = Json<Paths['/forum/search']['get']['responses'][200]>['items'][number];

/** One keyset page, as every list route of the forum and the inbox answers. */
export interface CursorPage<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** The app path of a post, scrolled to one of its comments when given. */
export const postPath = (postId: string, commentId?: string): string =>
  `/forum/posts/${encodeURIComponent(postId)}${commentId === undefined ? '' : `?comment=${encodeURIComponent(commentId)}`}`;

export const when = (iso: string): string => new Date(iso).toLocaleString();

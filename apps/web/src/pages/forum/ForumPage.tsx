import type { ReactNode } from 'react';
import { match, queryOf } from '../../app/router.js';
import { Categories } from './Categories.js';
import { CategoryPosts } from './CategoryPosts.js';
import { PostView } from './PostView.js';
import { Search } from './Search.js';
import './forum.css';

/** Forum: `/forum` (categories), `/forum/categories/:categoryId`, `/forum/posts/:postId[?comment=]`, `/forum/search?q=`. */
export function ForumPage({ path }: { path: string }): ReactNode {
  const category = match('/forum/categories/:categoryId', path);
  if (category?.['categoryId'] !== undefined) return <CategoryPosts key={category['categoryId']} categoryId={category['categoryId']} />;
  const post = match('/forum/posts/:postId', path);
  if (post?.['postId'] !== undefined) {
    const comment = queryOf(path).get('comment');
    return <PostView key={post['postId']} postId={post['postId']} focusComment={comment} />;
  }
  if (match('/forum/search', path) !== null) return <Search query={queryOf(path).get('q') ?? ''} />;
  return <Categories />;
}

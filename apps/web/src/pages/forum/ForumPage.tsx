import type { ReactNode } from 'react';

/** Forum: `/forum` (categories), `/forum/categories/:categoryId`, `/forum/posts/:postId`, `/forum/search`. */
export function ForumPage({ path }: { path: string }): ReactNode {
  return (
    <div className="page">
      <h1>Forum</h1>
      <p className="muted">{path}</p>
    </div>
  );
}

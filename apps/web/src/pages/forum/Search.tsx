import { useCallback, type ReactNode } from 'react';
import { Link } from '../../app/router.js';
import { rc, unwrap } from '../../lib/api.js';
import { ErrorLine, LoadMore } from './common.js';
import { SearchBox } from './SearchBox.js';
import { postPath, when, type SearchHit } from './types.js';
import { useCursorList } from './useCursorList.js';

/** `/forum/search?q=`: posts and comments matching the words, with the post each belongs to. */
export function Search({ query }: { query: string }): ReactNode {
  const fetchPage = useCallback(
    (cursor: string | null) =>
      query === '' ? Promise.resolve({ items: [], nextCursor: null }) : unwrap(rc.api.GET('/forum/search', { params: { query: { q: query, limit: 20, ...(cursor === null ? {} : { cursor }) } } })),
    [query],
  );
  const list = useCursorList<SearchHit>(fetchPage);
  return (
    <div className="page narrow forum">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/forum">Forum</Link>
      </nav>
      <h1>Search</h1>
      <SearchBox key={query} initial={query} />
      <ErrorLine error={list.error} />
      {query !== '' && list.items !== null && (
        <p className="muted" role="status">
          {list.items.length === 0 ? `Nothing matches “${query}”.` : `Results for “${query}”`}
        </p>
      )}
      {list.items !== null && list.items.length > 0 && (
        <ul className="list" aria-label="Search results">
          {list.items.map((hit) => (
            <li key={`${hit.type}-${hit.id}`} className="list-row search-hit">
              <div>
                <Link to={hit.type === 'post' ? postPath(hit.postId) : postPath(hit.postId, hit.id)} className="strong">
                  {hit.postTitle}
                </Link>
                <span className="tag">{hit.type === 'post' ? 'Post' : 'Comment'}</span>
                <p className="body excerpt">{hit.excerpt}</p>
                <p className="muted small">
                  {hit.author.displayName} · {when(hit.createdAt)}
                </p>
              </div>
            </li>
          ))}
        </ul>
      )}
      <LoadMore hasMore={list.hasMore} loading={list.loading} onMore={() => void list.loadMore()} label="More results" />
    </div>
  );
}

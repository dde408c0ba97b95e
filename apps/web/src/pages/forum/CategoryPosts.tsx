import { useCallback, useState, type FormEvent, type ReactNode } from 'react';
import { Link, navigate } from '../../app/router.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { ErrorLine, LoadMore, TextArea } from './common.js';
import { SearchBox } from './SearchBox.js';
import { postPath, when, type Post } from './types.js';
import { useCategory } from './useCategory.js';
import { useCursorList } from './useCursorList.js';

/** `/forum/categories/:id`: its posts, pinned first, newest activity next; a new post. */
export function CategoryPosts({ categoryId }: { categoryId: string }): ReactNode {
  const category = useCategory(categoryId);
  const fetchPage = useCallback(
    (cursor: string | null) => unwrap(rc.api.GET('/forum/categories/{id}/posts', { params: { path: { id: categoryId }, query: { limit: 20, ...(cursor === null ? {} : { cursor }) } } })),
    [categoryId],
  );
  const list = useCursorList<Post>(fetchPage);
  const name = category === undefined ? 'Category' : category === null ? 'Unknown category' : category.name;
  return (
    <div className="page narrow forum">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/forum">Forum</Link>
      </nav>
      <h1>{name}</h1>
      {category?.description !== undefined && category.description !== '' && <p className="muted">{category.description}</p>}
      <SearchBox />
      <NewPost categoryId={categoryId} />
      <ErrorLine error={list.error} />
      <h2 id="posts-heading">Posts</h2>
      {list.items === null ? (
        <p aria-busy="true">Loading posts…</p>
      ) : list.items.length === 0 ? (
        <p className="muted">No posts yet. Start the conversation.</p>
      ) : (
        <ul className="list" aria-labelledby="posts-heading">
          {list.items.map((p) => (
            <li key={p.id} className="list-row post-row">
              <div>
                <Link to={postPath(p.id)} className="strong">
                  {p.title}
                </Link>
                {p.pinned && <span className="tag">Pinned</span>}
                {p.locked && <span className="tag">Locked</span>}
                <p className="muted small">
                  {p.author.displayName} · {when(p.createdAt)}
                </p>
              </div>
              <span className="muted small comment-count">
                {p.commentCount} {p.commentCount === 1 ? 'comment' : 'comments'}
              </span>
            </li>
          ))}
        </ul>
      )}
      <LoadMore hasMore={list.hasMore} loading={list.loading} onMore={() => void list.loadMore()} label="More posts" />
    </div>
  );
}

function NewPost({ categoryId }: { categoryId: string }): ReactNode {
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const publish = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    unwrap(rc.api.POST('/forum/posts', { body: { categoryId, title, body } }))
      .then((post) => navigate(postPath(post.id)))
      .catch((err: unknown) => {
        setError(messageOf(err));
        setBusy(false);
      });
  };
  return (
    <details className="card">
      <summary>New post</summary>
      <form onSubmit={publish} aria-label="New post">
        <Field label="Title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
        <TextArea label="Post" value={body} onChange={(e) => setBody(e.target.value)} required rows={6} aria-describedby="new-post-hint" />
        <p id="new-post-hint" className="hint">
          Plain text. Mention someone with @ and their display name.
        </p>
        <ErrorLine error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Publish
        </button>
      </form>
    </details>
  );
}

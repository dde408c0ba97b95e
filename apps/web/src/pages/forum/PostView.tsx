import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, navigate } from '../../app/router.js';
import { isAdmin, useSession } from '../../app/session.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { submits, useAction } from '../../lib/useAction.js';
import { CommentItem, CommentForm } from './CommentItem.js';
import { Body, ConfirmButton, ErrorLine, LoadMore, TextArea } from './common.js';
import { when, type Comment, type Post } from './types.js';
import { useCategory } from './useCategory.js';
import { useCursorList } from './useCursorList.js';

/** `/forum/posts/:id`: the post, its comments oldest first with their replies, and what the reader may do. */
export function PostView({ postId, focusComment }: { postId: string; focusComment: string | null }): ReactNode {
  const { me } = useSession();
  const admin = isAdmin(me);
  const [post, setPost] = useState<Post | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const category = useCategory(post?.categoryId ?? null);
  useEffect(() => {
    let active = true;
    unwrap(rc.api.GET('/forum/posts/{id}', { params: { path: { id: postId } } }))
      .then((p) => active && setPost(p))
      .catch((err: unknown) => {
        if (!active) return;
        setPost(null);
        setError(messageOf(err));
      });
    return () => {
      active = false;
    };
  }, [postId]);

  const fetchPage = useCallback(
    (cursor: string | null) => unwrap(rc.api.GET('/forum/posts/{id}/comments', { params: { path: { id: postId }, query: { limit: 30, ...(cursor === null ? {} : { cursor }) } } })),
    [postId],
  );
  const comments = useCursorList<Comment>(fetchPage);
  // The comments render once the post is there too.
  useFocusComment(focusComment, post !== undefined && post !== null ? comments.items : null, comments.hasMore, comments.loading, comments.loadMore);

  const act = (call: Promise<Post>): void => {
    setError(null);
    call.then(setPost).catch((err: unknown) => setError(messageOf(err)));
  };
  const path = { params: { path: { id: postId } } };

  if (post === undefined) return <p className="page narrow" aria-busy="true">Loading the post…</p>;
  if (post === null) {
    return (
      <div className="page narrow forum">
        <h1>Post not found</h1>
        <ErrorLine error={error} />
        <Link to="/forum">Back to the forum</Link>
      </div>
    );
  }
  const mine = post.author.id === me.id;
  const removePost = (): void => {
    setError(null);
    unwrap(rc.api.DELETE('/forum/posts/{id}', path))
      .then(() => navigate(`/forum/categories/${encodeURIComponent(post.categoryId)}`))
      .catch((err: unknown) => setError(messageOf(err)));
  };
  const sorted = [...(comments.items ?? [])].sort((a, b) => a.seq - b.seq);
  const topLevel = sorted.filter((c) => c.parentId === null);
  const repliesOf = (id: string): Comment[] => sorted.filter((c) => c.parentId === id);
  const onChanged = (c: Comment): void => comments.update((items) => items.map((i) => (i.id === c.id ? c : i)));
  const onAdded = (c: Comment): void => comments.update((items) => [...items, c]);

  return (
    <div className="page narrow forum">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/forum">Forum</Link> <span aria-hidden="true">›</span> <Link to={`/forum/categories/${encodeURIComponent(post.categoryId)}`}>{category?.name ?? 'Category'}</Link>
      </nav>
      <article className="card post" aria-labelledby="post-title">
        <PostBody post={post} mine={mine} onSaved={setPost}>
          {(mine || admin) && <ConfirmButton label="Delete post" confirmLabel="Delete this post" onConfirm={removePost} />}
          {admin && (
            <>
              <button type="button" className="secondary" onClick={() => act(unwrap(post.locked ? rc.api.DELETE('/forum/posts/{id}/lock', path) : rc.api.PUT('/forum/posts/{id}/lock', path)))}>
                {post.locked ? 'Unlock' : 'Lock'}
              </button>
              <button type="button" className="secondary" onClick={() => act(unwrap(post.pinned ? rc.api.DELETE('/forum/posts/{id}/pin', path) : rc.api.PUT('/forum/posts/{id}/pin', path)))}>
                {post.pinned ? 'Unpin' : 'Pin'}
              </button>
            </>
          )}
        </PostBody>
        <ErrorLine error={error} />
      </article>

      <section aria-labelledby="comments-heading">
        <h2 id="comments-heading">Comments</h2>
        <ErrorLine error={comments.error} />
        {comments.items === null ? (
          <p aria-busy="true">Loading comments…</p>
        ) : topLevel.length === 0 && !comments.hasMore ? (
          <p className="muted">No comments yet.</p>
        ) : (
          <ol className="comments">
            {topLevel.map((c) => (
              <CommentItem key={c.id} comment={c} replies={repliesOf(c.id)} locked={post.locked} target={focusComment} onChanged={onChanged} onAdded={onAdded} />
            ))}
          </ol>
        )}
        <LoadMore hasMore={comments.hasMore} loading={comments.loading} onMore={() => void comments.loadMore()} label="More comments" />
        {post.locked ? (
          <p className="notice">This post is locked: it takes no new comments.</p>
        ) : (
          <CommentForm postId={post.id} label="Your comment" submit="Comment" onAdded={onAdded} />
        )}
      </section>
    </div>
  );
}

/** The post, or its editor; `children` are the other actions on it (shown beside "Edit post"). */
function PostBody({ post, mine, onSaved, children }: { post: Post; mine: boolean; onSaved: (p: Post) => void; children: ReactNode }): ReactNode {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(post.title);
  const [body, setBody] = useState(post.body);
  const save = useAction(async () => {
    onSaved(await unwrap(rc.api.PATCH('/forum/posts/{id}', { params: { path: { id: post.id } }, body: { title, body } })));
    setEditing(false);
  });
  if (editing) {
    return (
      <form onSubmit={submits(save)} aria-label="Edit post">
        <h1 id="post-title" className="visually-hidden">
          {post.title}
        </h1>
        <Field label="Title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
        <TextArea label="Post" value={body} onChange={(e) => setBody(e.target.value)} required rows={8} />
        <ErrorLine error={save.error} />
        <div className="actions">
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" className="secondary" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      </form>
    );
  }
  return (
    <>
      <h1 id="post-title">
        {post.title}
        {post.pinned && <span className="tag">Pinned</span>}
        {post.locked && <span className="tag">Locked</span>}
      </h1>
      <p className="muted small">
        {post.author.displayName} · {when(post.createdAt)}
        {post.editedAt !== null && ' · edited'}
      </p>
      <Body text={post.body} />
      <div className="actions post-actions">
        {mine && (
          <button type="button" className="link" onClick={() => (setTitle(post.title), setBody(post.body), setEditing(true))}>
            Edit post
          </button>
        )}
        {children}
      </div>
    </>
  );
}

/** Opens the comment a link names (`?comment=`): loads pages until it is there, then scrolls to it and focuses it. */
function useFocusComment(commentId: string | null, items: readonly Comment[] | null, hasMore: boolean, loading: boolean, loadMore: () => Promise<void>): void {
  const done = useRef<string | null>(null);
  useEffect(() => {
    if (commentId === null || items === null || done.current === commentId) return;
    const el = items.some((c) => c.id === commentId) ? document.getElementById(`comment-${commentId}`) : null;
    if (el !== null) {
      done.current = commentId;
      el.scrollIntoView({ block: 'center' });
      el.focus({ preventScroll: true });
    } else if (hasMore && !loading) {
      void loadMore();
    }
  }, [commentId, items, hasMore, loading, loadMore]);
}


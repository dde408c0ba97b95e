import { useState, type FormEvent, type ReactNode } from 'react';
import { isAdmin, useSession } from '../../app/session.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { Body, ConfirmButton, ErrorLine, TextArea } from './common.js';
import { when, type Comment } from './types.js';

/** A top-level comment with its replies (one level), or a reply (no `replies`). */
export function CommentItem({
  comment,
  replies,
  locked,
  target,
  onChanged,
  onAdded,
}: {
  comment: Comment;
  replies?: readonly Comment[];
  locked: boolean;
  target: string | null;
  onChanged: (c: Comment) => void;
  onAdded: (c: Comment) => void;
}): ReactNode {
  const { me } = useSession();
  const [mode, setMode] = useState<'view' | 'edit' | 'reply'>('view');
  const [error, setError] = useState<string | null>(null);
  const deleted = comment.deletedAt !== null;
  const mine = comment.author.id === me.id;
  const remove = (): void => {
    setError(null);
    unwrap(rc.api.DELETE('/forum/comments/{id}', { params: { path: { id: comment.id } } }))
      .then(() => onChanged({ ...comment, body: '', deletedAt: new Date().toISOString() }))
      .catch((err: unknown) => setError(messageOf(err)));
  };
  const headingId = `comment-${comment.id}-by`;
  return (
    <li className={`comment${comment.parentId === null ? '' : ' reply'}`}>
      <article id={`comment-${comment.id}`} tabIndex={-1} className={`comment-box${target === comment.id ? ' target' : ''}`} aria-labelledby={headingId}>
        <p className="muted small" id={headingId}>
          <span className="strong author">{deleted ? 'Deleted comment' : comment.author.displayName}</span> · {when(comment.createdAt)}
          {comment.editedAt !== null && !deleted && ' · edited'}
        </p>
        {deleted ? (
          <p className="muted">This comment was deleted.</p>
        ) : mode === 'edit' ? (
          <CommentEditor comment={comment} onSaved={(c) => (onChanged(c), setMode('view'))} onCancel={() => setMode('view')} />
        ) : (
          <Body text={comment.body} />
        )}
        {!deleted && mode === 'view' && (
          <div className="actions">
            {comment.parentId === null && !locked && (
              <button type="button" className="link" onClick={() => setMode('reply')} aria-label={`Reply to ${comment.author.displayName}`}>
                Reply
              </button>
            )}
            {mine && (
              <button type="button" className="link" onClick={() => setMode('edit')}>
                Edit
              </button>
            )}
            {(mine || isAdmin(me)) && <ConfirmButton label="Delete comment" confirmLabel="Delete this comment" onConfirm={remove} />}
          </div>
        )}
        <ErrorLine error={error} />
      </article>
      {((replies !== undefined && replies.length > 0) || mode === 'reply') && (
        <ol className="replies" aria-label={`Replies to ${comment.author.displayName}`}>
          {replies?.map((r) => <CommentItem key={r.id} comment={r} locked={locked} target={target} onChanged={onChanged} onAdded={onAdded} />)}
          {mode === 'reply' && (
            <li className="comment reply">
              <CommentForm
                postId={comment.postId}
                parentId={comment.id}
                label={`Reply to ${comment.author.displayName}`}
                submit="Reply"
                autoFocus
                onAdded={(c) => (onAdded(c), setMode('view'))}
                onCancel={() => setMode('view')}
              />
            </li>
          )}
        </ol>
      )}
    </li>
  );
}

/** A new comment, or a reply to `parentId`. */
export function CommentForm({
  postId,
  parentId,
  label,
  submit,
  autoFocus,
  onAdded,
  onCancel,
}: {
  postId: string;
  parentId?: string;
  label: string;
  submit: string;
  autoFocus?: boolean;
  onAdded: (c: Comment) => void;
  onCancel?: () => void;
}): ReactNode {
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    unwrap(rc.api.POST('/forum/posts/{id}/comments', { params: { path: { id: postId } }, body: { body, ...(parentId === undefined ? {} : { parentId }) } }))
      .then((c) => {
        setBody('');
        onAdded(c);
      })
      .catch((err: unknown) => setError(messageOf(err)))
      .finally(() => setBusy(false));
  };
  return (
    <form onSubmit={send} className="comment-form" aria-label={label}>
      <TextArea label={label} value={body} onChange={(e) => setBody(e.target.value)} required rows={3} autoFocus={autoFocus} />
      <ErrorLine error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {submit}
        </button>
        {onCancel !== undefined && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function CommentEditor({ comment, onSaved, onCancel }: { comment: Comment; onSaved: (c: Comment) => void; onCancel: () => void }): ReactNode {
  const [body, setBody] = useState(comment.body);
  const [error, setError] = useState<string | null>(null);
  const save = (e: FormEvent): void => {
    e.preventDefault();
    setError(null);
    unwrap(rc.api.PATCH('/forum/comments/{id}', { params: { path: { id: comment.id } }, body: { body } }))
      .then(onSaved)
      .catch((err: unknown) => setError(messageOf(err)));
  };
  return (
    <form onSubmit={save} aria-label="Edit comment">
      <TextArea label="Edit comment" value={body} onChange={(e) => setBody(e.target.value)} required rows={3} autoFocus />
      <ErrorLine error={error} />
      <div className="actions">
        <button type="submit" className="primary">
          Save
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

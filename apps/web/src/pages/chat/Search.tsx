import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { ChatMessage } from '@realchat/client';
import { Link, navigate, queryOf } from '../../app/router.js';
import { useSession } from '../../app/session.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { timeOf, titleOf, type ConversationSummary } from './live.js';

/** Message search (`/chat/search?q=…&conversationId=…`), across conversations or within one. */
export function Search({ path }: { path: string }): ReactNode {
  const { me } = useSession();
  const query = queryOf(path);
  const q = query.get('q') ?? '';
  const conversationId = query.get('conversationId') ?? '';
  const [text, setText] = useState(q);
  const [scope, setScope] = useState(conversationId);
  const [conversations, setConversations] = useState<readonly ConversationSummary[]>([]);
  const [results, setResults] = useState<readonly ChatMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    unwrap(rc.api.GET('/chat/conversations', { params: { query: { limit: 100 } } }))
      .then((page) => setConversations(page.items))
      .catch((err: unknown) => setError(messageOf(err)));
  }, []);
  useEffect(() => {
    if (q === '') return;
    let active = true;
    unwrap(rc.api.GET('/chat/search', { params: { query: { q, limit: 50, ...(conversationId === '' ? {} : { conversationId }) } } }))
      .then((page) => active && (setError(null), setResults(page.items)))
      .catch((err: unknown) => active && setError(messageOf(err)));
    return () => {
      active = false;
    };
  }, [q, conversationId]);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const params = new URLSearchParams({ q: text.trim() });
    if (scope !== '') params.set('conversationId', scope);
    if (text.trim() !== '') navigate(`/chat/search?${params.toString()}`);
  };
  const nameOf = (id: string): string => {
    const c = conversations.find((x) => x.id === id);
    return c === undefined ? 'A conversation' : titleOf(c, me.id);
  };

  return (
    <div className="chat-search">
      <h1>Search messages</h1>
      <form className="card chat-inline-form" role="search" onSubmit={submit}>
        <Field label="Words to find" type="search" value={text} onChange={(e) => setText(e.target.value)} required maxLength={256} />
        <div className="field">
          <label htmlFor="search-scope">In</label>
          <select id="search-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="">All conversations</option>
            {conversations.map((c) => (
              <option key={c.id} value={c.id}>
                {titleOf(c, me.id)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {q !== '' && results !== null && (
        <section aria-labelledby="results-heading">
          <h2 id="results-heading">
            {results.length === 0 ? 'Nothing found' : `${results.length} ${results.length === 1 ? 'message' : 'messages'}`} for “{q}”
          </h2>
          <ul className="list" aria-label="Results">
            {results.map((m) => (
              <li key={m.id} className="list-row">
                <span>
                  <span className="chat-body">{m.body}</span>
                  <span className="muted small">
                    {' '}
                    · <Link to={`/chat/${m.conversationId}`}>{nameOf(m.conversationId)}</Link> · <time dateTime={m.createdAt}>{new Date(m.createdAt).toLocaleDateString()} {timeOf(m.createdAt)}</time>
                  </span>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

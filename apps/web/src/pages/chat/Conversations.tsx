import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, navigate } from '../../app/router.js';
import { useSession } from '../../app/session.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { Presence } from './Friends.js';
import { peerOf, timeOf, titleOf, useChatEvent, usePresence, type ConversationSummary, type Friend } from './live.js';

const newestFirst = (a: ConversationSummary, b: ConversationSummary): number => b.lastActivityAt.localeCompare(a.lastActivityAt);

/** The conversations, newest activity first, with unread counts, last message and presence; live. */
export function Conversations({ selectedId }: { selectedId: string | undefined }): ReactNode {
  const { me } = useSession();
  const isOnline = usePresence();
  const [items, setItems] = useState<ConversationSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const reload = useCallback(async (): Promise<void> => {
    const page = await unwrap(rc.api.GET('/chat/conversations', { params: { query: { limit: 100 } } }));
    setItems([...page.items].sort(newestFirst));
  }, []);
  useEffect(() => {
    reload().catch((err: unknown) => setError(messageOf(err)));
  }, [reload]);

  // The open conversation is being read: its count stays at zero.
  useEffect(() => {
    if (selectedId !== undefined) setItems((list) => list?.map((c) => (c.id === selectedId ? { ...c, unreadCount: 0 } : c)) ?? null);
  }, [selectedId]);

  useChatEvent('message.new', ({ message }) => {
    if (items !== null && !items.some((c) => c.id === message.conversationId)) {
      reload().catch(() => undefined);
      return;
    }
    setItems(
      (list) =>
        list
          ?.map((c) =>
            c.id !== message.conversationId || message.seq <= (c.lastMessage?.seq ?? 0)
              ? c
              : {
                  ...c,
                  lastMessage: message,
                  lastSeq: Math.max(c.lastSeq, message.seq),
                  lastActivityAt: message.createdAt,
                  unreadCount: message.senderId === me.id || c.id === selectedId ? 0 : c.unreadCount + 1,
                },
          )
          .sort(newestFirst) ?? null,
    );
  });
  const replaceMessage = ({ message }: { message: ConversationSummary['lastMessage'] & object }): void =>
    setItems((list) => list?.map((c) => (c.lastMessage?.id === message.id ? { ...c, lastMessage: message } : c)) ?? null);
  useChatEvent('message.updated', replaceMessage);
  useChatEvent('message.deleted', replaceMessage);
  useChatEvent('conversation.updated', ({ conversation }) => {
    if (items !== null && !items.some((c) => c.id === conversation.id)) reload().catch(() => undefined);
    else setItems((list) => list?.map((c) => (c.id === conversation.id ? { ...c, ...conversation } : c)).sort(newestFirst) ?? null);
  });
  useChatEvent('conversation.removed', ({ conversationId }) => setItems((list) => list?.filter((c) => c.id !== conversationId) ?? null));
  useChatEvent('read', ({ conversationId, userId, seq }) => {
    if (userId === me.id) setItems((list) => list?.map((c) => (c.id === conversationId ? { ...c, unreadCount: Math.max(0, Math.min(c.unreadCount, c.lastSeq - seq)) } : c)) ?? null);
  });

  return (
    <section className="chat-list" aria-labelledby="conversations-heading">
      <div className="chat-list-head">
        <h1 id="conversations-heading">Conversations</h1>
        <button type="button" className="secondary" aria-expanded={creating} onClick={() => setCreating((v) => !v)}>
          New group
        </button>
      </div>
      {creating && <NewGroup onDone={() => setCreating(false)} />}
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {items === null ? (
        <p aria-busy="true">Loading conversations…</p>
      ) : items.length === 0 ? (
        <p className="muted">
          No conversations yet. <Link to="/chat/friends">Find your friends</Link> to start one.
        </p>
      ) : (
        <ul className="chat-conversations" aria-label="Conversations">
          {items.map((c) => {
            const title = titleOf(c, me.id);
            const peer = peerOf(c, me.id);
            const last = c.lastMessage;
            const preview = last === null ? 'No messages yet' : last.deletedAt !== null ? 'message deleted' : `${last.senderId === me.id ? 'You: ' : ''}${last.body}`;
            return (
              <li key={c.id}>
                <Link to={`/chat/${c.id}`} className="chat-conversation" aria-current={c.id === selectedId ? 'page' : undefined}>
                  <span className="chat-conversation-top">
                    <span className="chat-who">
                      {peer !== undefined && <Presence online={isOnline(peer)} />}
                      <span className="strong chat-title">{title}</span>
                    </span>
                    {c.unreadCount > 0 && (
                      <span className="chat-unread">
                        {c.unreadCount}
                        <span className="visually-hidden"> unread</span>
                      </span>
                    )}
                  </span>
                  <span className="chat-conversation-bottom muted small">
                    <span className="chat-preview">{preview}</span>
                    {last !== null && <time dateTime={last.createdAt}>{timeOf(last.createdAt)}</time>}
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** Loads every friend (for choosing group members). */
export function useFriends(): { friends: readonly Friend[] | null; error: string | null } {
  const [friends, setFriends] = useState<readonly Friend[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    unwrap(rc.api.GET('/chat/friends', { params: { query: { limit: 100 } } }))
      .then((page) => setFriends(page.items))
      .catch((err: unknown) => setError(messageOf(err)));
  }, []);
  return { friends, error };
}

function NewGroup({ onDone }: { onDone: () => void }): ReactNode {
  const { friends, error: loadError } = useFriends();
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const create = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      const group = await unwrap(rc.api.POST('/chat/conversations', { body: { type: 'group', name: name.trim(), memberIds: [...chosen] } }));
      onDone();
      navigate(`/chat/${group.id}`);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const toggle = (id: string): void =>
    setChosen((set) => {
      const next = new Set(set);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  return (
    <form className="card" onSubmit={(e) => void create(e)} aria-label="New group">
      <Field label="Group name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
      <fieldset className="chat-members-pick">
        <legend>Members</legend>
        {friends === null ? (
          <p className="muted">{loadError ?? 'Loading friends…'}</p>
        ) : friends.length === 0 ? (
          <p className="muted">Add friends first: a group is made of friends.</p>
        ) : (
          friends.map((f) => (
            <label key={f.id} className="chat-check">
              <input type="checkbox" checked={chosen.has(f.id)} onChange={() => toggle(f.id)} /> {f.displayName}
            </label>
          ))
        )}
      </fieldset>
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="chat-actions">
        <button type="submit" className="primary" disabled={name.trim() === ''}>
          Create group
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

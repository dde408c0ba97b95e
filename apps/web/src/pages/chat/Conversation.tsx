import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { RealChatError, type ChatMessage, type Conversation as ConversationData } from '@realchat/client';
import { Link } from '../../app/router.js';
import { useSession } from '../../app/session.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { Presence } from './Friends.js';
import { GroupDetails } from './GroupDetails.js';
import { newClientMsgId, peerOf, timeOf, titleOf, useChatEvent, usePresence } from './live.js';

/** The fixed set of reactions offered. */
export const EMOJIS = ['👍', '❤️', '😂', '😮', '😢', '🎉'] as const;
const PAGE = 30;
/** How often "typing" is sent while one types, and how long it is shown after the last one heard. */
const TYPING_EVERY_MS = 2_000;
const TYPING_SHOWN_MS = 5_000;

interface Pending {
  readonly clientMsgId: string;
  readonly body: string;
  readonly status: 'sending' | 'failed';
  readonly error?: string;
}

/** What a refused send means, in words (the socket answers with a bare code). */
const SEND_REFUSALS: Readonly<Record<string, string>> = {
  BLOCKED: 'one of you has blocked the other.',
  NOT_A_MEMBER: 'you are no longer in this conversation.',
  MESSAGE_TOO_LONG: 'the message is too long.',
  RATE_LIMITED: 'too many messages at once; wait a moment.',
  CLOSED: 'the connection is closed.',
  SIGNED_OUT: 'you were signed out.',
};
const refusalOf = (err: unknown): string => (err instanceof RealChatError ? SEND_REFUSALS[err.code] : undefined) ?? messageOf(err);

const bySeq = (a: ChatMessage, b: ChatMessage): number => a.seq - b.seq;

function merge(list: readonly ChatMessage[], more: readonly ChatMessage[]): ChatMessage[] {
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of more) byId.set(m.id, m);
  return [...byId.values()].sort(bySeq);
}

/** One conversation: history upwards, live messages, typing, read marks, edits, reactions, optimistic send. */
export function Conversation({ id }: { id: string }): ReactNode {
  const { me, chat } = useSession();
  const isOnline = usePresence();
  const [conversation, setConversation] = useState<ConversationData | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [olderCursor, setOlderCursor] = useState<number | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [pending, setPending] = useState<Pending[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [typing, setTyping] = useState<ReadonlyMap<string, number>>(new Map());
  const [readBy, setReadBy] = useState<ReadonlyMap<string, number>>(new Map());
  const [deliveredTo, setDeliveredTo] = useState<ReadonlyMap<string, number>>(new Map());
  /** The reactions this user made (the counts do not say whose they are). */
  const [mine, setMine] = useState<ReadonlySet<string>>(new Set());
  const [showDetails, setShowDetails] = useState(false);

  const scroller = useRef<HTMLDivElement>(null);
  /** Before a page of history is put on top: the height, to keep the view where it was. */
  const keepFrom = useRef<number | null>(null);
  const stickToBottom = useRef(true);
  const lastRead = useRef(0);

  useEffect(() => {
    let active = true;
    Promise.all([unwrap(rc.api.GET('/chat/conversations/{id}', { params: { path: { id } } })), unwrap(rc.api.GET('/chat/conversations/{id}/messages', { params: { path: { id }, query: { limit: PAGE } } }))])
      .then(([c, page]) => {
        if (!active) return;
        stickToBottom.current = true;
        setConversation(c);
        setMessages(page.items);
        setOlderCursor(page.nextCursor === null ? null : Number(page.nextCursor));
      })
      .catch((err: unknown) => active && setError(messageOf(err)));
    return () => {
      active = false;
    };
  }, [id]);

  const loadOlder = useCallback(async (): Promise<void> => {
    if (olderCursor === null || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const page = await unwrap(rc.api.GET('/chat/conversations/{id}/messages', { params: { path: { id }, query: { before: olderCursor, limit: PAGE } } }));
      keepFrom.current = scroller.current?.scrollHeight ?? null;
      setMessages((list) => merge(list, page.items));
      setOlderCursor(page.nextCursor === null ? null : Number(page.nextCursor));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setLoadingOlder(false);
    }
  }, [id, olderCursor, loadingOlder]);

  // Older history loads when its marker scrolls into view (the button does it by keyboard).
  const marker = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const target = marker.current;
    const root = scroller.current;
    if (target === null || root === null) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadOlder();
    }, { root });
    observer.observe(target);
    return () => observer.disconnect();
  }, [loadOlder]);

  // Keep the view: at the bottom for new messages when it was there, in place when history grows above.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    if (keepFrom.current !== null) {
      el.scrollTop += el.scrollHeight - keepFrom.current;
      keepFrom.current = null;
    } else if (stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, pending]);
  const onScroll = (): void => {
    const el = scroller.current;
    if (el !== null) stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };

  // Read marks: the newest message shown, while the page is visible.
  const newestSeq = messages.at(-1)?.seq ?? 0;
  useEffect(() => {
    const mark = (): void => {
      if (document.visibilityState === 'visible' && newestSeq > lastRead.current) {
        lastRead.current = newestSeq;
        chat.read(id, newestSeq);
      }
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [chat, id, newestSeq]);

  useChatEvent('message.new', ({ message }) => {
    if (message.conversationId !== id) return;
    setMessages((list) => merge(list, [message]));
    setPending((list) => list.filter((p) => p.clientMsgId !== message.clientMsgId));
    setTyping((map) => without(map, message.senderId));
  });
  const replace = ({ message }: { message: ChatMessage }): void => {
    if (message.conversationId === id) setMessages((list) => (list.some((m) => m.id === message.id) ? merge(list, [message]) : list));
  };
  useChatEvent('message.updated', replace);
  useChatEvent('message.deleted', replace);
  useChatEvent('reaction', (event) => {
    if (event.conversationId !== id) return;
    setMessages((list) => list.map((m) => (m.id === event.messageId ? { ...m, reactions: [...event.reactions] } : m)));
    if (event.userId === me.id) setMine((set) => toggled(set, `${event.messageId} ${event.emoji}`, event.action === 'added'));
  });
  useChatEvent('typing', ({ conversationId, userId }) => {
    if (conversationId === id && userId !== me.id) setTyping((map) => new Map(map).set(userId, Date.now()));
  });
  useChatEvent('read', ({ conversationId, userId, seq }) => {
    if (conversationId === id && userId !== me.id) setReadBy((map) => raised(map, userId, seq));
  });
  useChatEvent('delivered', ({ conversationId, userId, seq }) => {
    if (conversationId === id && userId !== me.id) setDeliveredTo((map) => raised(map, userId, seq));
  });
  useChatEvent('conversation.updated', ({ conversation: c }) => {
    if (c.id === id) setConversation(c);
  });
  useChatEvent('conversation.removed', ({ conversationId }) => {
    if (conversationId === id) setError('You are no longer a member of this conversation.');
  });

  // "X is typing" fades when no new typing frame comes.
  useEffect(() => {
    if (typing.size === 0) return;
    const timer = setTimeout(() => {
      const now = Date.now();
      setTyping((map) => new Map([...map].filter(([, at]) => now - at < TYPING_SHOWN_MS)));
    }, TYPING_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [typing]);

  const send = (clientMsgId: string, body: string): void => {
    setPending((list) => [...list.filter((p) => p.clientMsgId !== clientMsgId), { clientMsgId, body, status: 'sending' }]);
    stickToBottom.current = true;
    chat
      .send(id, body, clientMsgId)
      .then((ack) => {
        // The message itself usually comes first as message.new; the ack alone is enough to show it sent.
        setMessages((list) =>
          list.some((m) => m.id === ack.id) ? list : merge(list, [{ id: ack.id, seq: ack.seq, createdAt: ack.createdAt, clientMsgId, body, conversationId: id, senderId: me.id, editedAt: null, deletedAt: null, reactions: [] }]),
        );
        setPending((list) => list.filter((p) => p.clientMsgId !== clientMsgId));
      })
      .catch((err: unknown) => setPending((list) => list.map((p) => (p.clientMsgId === clientMsgId ? { ...p, status: 'failed', error: refusalOf(err) } : p))));
  };

  const others = conversation?.members.filter((m) => m.id !== me.id) ?? [];
  const nameOf = (userId: string): string => conversation?.members.find((m) => m.id === userId)?.displayName ?? 'Someone';
  // Where each other member is: the conversation as loaded (or last pushed), raised by live marks since.
  const readOf = (o: ConversationData['members'][number]): number => Math.max(o.readSeq, readBy.get(o.id) ?? 0);
  const deliveredOf = (o: ConversationData['members'][number]): number => Math.max(o.deliveredSeq, readOf(o), deliveredTo.get(o.id) ?? 0);
  const markOf = (m: ChatMessage): string => markFor(others.filter((o) => readOf(o) >= m.seq).length, others.filter((o) => deliveredOf(o) >= m.seq).length, others.length);
  const typingNames = [...typing.keys()].map(nameOf);

  if (conversation === null) {
    return (
      <section className="chat-pane">
        {error !== null ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : (
          <p aria-busy="true">Loading the conversation…</p>
        )}
      </section>
    );
  }
  const title = titleOf(conversation, me.id);
  const peer = peerOf(conversation, me.id);
  return (
    <section className="chat-pane" aria-labelledby="conversation-heading">
      <header className="chat-pane-head">
        <Link to="/chat" className="chat-back">
          ← Back<span className="visually-hidden"> to conversations</span>
        </Link>
        <h2 id="conversation-heading" className="chat-who">
          {peer !== undefined && <Presence online={isOnline(peer)} />}
          {title}
        </h2>
        <span className="chat-actions">
          <Link to={`/chat/search?conversationId=${id}`}>Search</Link>
          {conversation.type === 'group' && (
            <button type="button" className="secondary" aria-expanded={showDetails} onClick={() => setShowDetails((v) => !v)}>
              Group details
            </button>
          )}
        </span>
      </header>
      {showDetails && conversation.type === 'group' && <GroupDetails conversation={conversation} onChange={setConversation} />}
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="chat-scroll" ref={scroller} onScroll={onScroll}>
        {olderCursor !== null ? (
          <button type="button" className="link chat-older" ref={marker} onClick={() => void loadOlder()} disabled={loadingOlder}>
            {loadingOlder ? 'Loading earlier messages…' : 'Load earlier messages'}
          </button>
        ) : (
          <p className="muted small chat-start">The start of the conversation.</p>
        )}
        <ol className="chat-messages" aria-label="Messages">
          {messages.map((m) => (
            <Message key={m.id} message={m} own={m.senderId === me.id} sender={nameOf(m.senderId)} mark={m.senderId === me.id ? markOf(m) : null} mine={mine} onError={setError} onReacted={(key, on) => setMine((set) => toggled(set, key, on))} onChanged={(changed) => setMessages((list) => merge(list, [changed]))} />
          ))}
          {pending.map((p) => (
            <li key={p.clientMsgId} className={p.status === 'failed' ? 'chat-message own failed' : 'chat-message own'}>
              <p className="chat-body">{p.body}</p>
              {p.status === 'sending' ? (
                <p className="chat-meta muted small">Sending…</p>
              ) : (
                <div className="chat-meta" role="alert">
                  <span className="error small">Not sent: {p.error}</span>{' '}
                  <button type="button" className="link" onClick={() => send(p.clientMsgId, p.body)}>
                    Retry
                  </button>{' '}
                  <button type="button" className="link" onClick={() => setPending((list) => list.filter((q) => q.clientMsgId !== p.clientMsgId))}>
                    Discard
                  </button>
                </div>
              )}
            </li>
          ))}
        </ol>
      </div>
      <p className="chat-typing muted small" aria-live="polite">
        {typingNames.length === 0 ? '' : `${typingNames.join(', ')} ${typingNames.length === 1 ? 'is' : 'are'} typing…`}
      </p>
      <Composer conversationId={id} onSend={(body) => send(newClientMsgId(), body)} />
    </section>
  );
}

function Composer({ conversationId, onSend }: { conversationId: string; onSend: (body: string) => void }): ReactNode {
  const { chat } = useSession();
  const [text, setText] = useState('');
  const typedAt = useRef(0);
  const submit = (e?: FormEvent): void => {
    e?.preventDefault();
    const body = text.trim();
    if (body === '') return;
    onSend(body);
    setText('');
    typedAt.current = 0;
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (e.key === 'Enter' && !e.shiftKey) submit(e);
  };
  return (
    <form className="chat-composer" onSubmit={submit}>
      <label htmlFor="chat-compose" className="visually-hidden">
        Message
      </label>
      <textarea
        id="chat-compose"
        rows={2}
        value={text}
        placeholder="Write a message…"
        aria-describedby="chat-compose-hint"
        onKeyDown={onKeyDown}
        onChange={(e) => {
          setText(e.target.value);
          const now = Date.now();
          if (e.target.value !== '' && now - typedAt.current > TYPING_EVERY_MS) {
            typedAt.current = now;
            chat.typing(conversationId);
          }
        }}
      />
      <span id="chat-compose-hint" className="visually-hidden">
        Enter sends; Shift+Enter starts a new line.
      </span>
      <button type="submit" className="primary" disabled={text.trim() === ''}>
        Send
      </button>
    </form>
  );
}

function Message(props: {
  message: ChatMessage;
  own: boolean;
  sender: string;
  mark: string | null;
  mine: ReadonlySet<string>;
  onError: (error: string | null) => void;
  onReacted: (key: string, on: boolean) => void;
  onChanged: (message: ChatMessage) => void;
}): ReactNode {
  const { message: m, own, sender, mark, mine, onError, onReacted, onChanged } = props;
  const [editing, setEditing] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);
  const deleted = m.deletedAt !== null;

  const run = async (call: () => Promise<ChatMessage | undefined>): Promise<boolean> => {
    onError(null);
    try {
      const changed = await call();
      if (changed !== undefined) onChanged(changed);
      return true;
    } catch (err) {
      onError(messageOf(err));
      return false;
    }
  };
  const react = async (emoji: string): Promise<void> => {
    const key = `${m.id} ${emoji}`;
    const on = !mine.has(key);
    setPicking(false);
    const path = { params: { path: { id: m.id, emoji } } };
    if (await run(() => unwrap(on ? rc.api.PUT('/chat/messages/{id}/reactions/{emoji}', path) : rc.api.DELETE('/chat/messages/{id}/reactions/{emoji}', path)))) onReacted(key, on);
  };
  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const body = (editing ?? '').trim();
    if (body === '' || body === m.body) return setEditing(null);
    if (await run(() => unwrap(rc.api.PATCH('/chat/messages/{id}', { params: { path: { id: m.id } }, body: { body } })))) setEditing(null);
  };
  const remove = (): void => {
    void run(async () => {
      await unwrap(rc.api.DELETE('/chat/messages/{id}', { params: { path: { id: m.id } } }));
      return { ...m, body: '', deletedAt: new Date().toISOString(), reactions: [] };
    });
  };

  return (
    <li className={own ? 'chat-message own' : 'chat-message'}>
      <p className={own ? 'visually-hidden' : 'chat-sender small strong'}>{own ? 'You' : sender}</p>
      {deleted ? (
        <p className="chat-body muted">message deleted</p>
      ) : editing !== null ? (
        <form onSubmit={(e) => void save(e)} className="chat-edit">
          <label htmlFor={`edit-${m.id}`} className="visually-hidden">
            Edit message
          </label>
          <textarea id={`edit-${m.id}`} value={editing} rows={2} autoFocus onChange={(e) => setEditing(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setEditing(null)} />
          <span className="chat-actions">
            <button type="submit" className="primary">
              Save
            </button>
            <button type="button" className="secondary" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </span>
        </form>
      ) : (
        <p className="chat-body">{m.body}</p>
      )}
      {!deleted && m.reactions.length > 0 && (
        <ul className="chat-reactions" aria-label="Reactions">
          {m.reactions.map((r) => (
            <li key={r.emoji}>
              <button type="button" className={mine.has(`${m.id} ${r.emoji}`) ? 'chat-reaction on' : 'chat-reaction'} aria-pressed={mine.has(`${m.id} ${r.emoji}`)} aria-label={`${r.emoji} ${r.count}`} onClick={() => void react(r.emoji)}>
                {r.emoji} {r.count}
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="chat-meta muted small">
        <time dateTime={m.createdAt}>{timeOf(m.createdAt)}</time>
        {m.editedAt !== null && !deleted && <span> · edited</span>}
        {mark !== null && !deleted && <span className="chat-mark"> · {mark}</span>}
        {!deleted && editing === null && (
          <span className="chat-message-actions">
            <button type="button" className="link" aria-expanded={picking} onClick={() => setPicking((v) => !v)}>
              React
            </button>
            {own && (
              <>
                <button type="button" className="link" onClick={() => setEditing(m.body)}>
                  Edit
                </button>
                <button type="button" className="link" onClick={remove}>
                  Delete
                </button>
              </>
            )}
          </span>
        )}
      </p>
      {picking && (
        <div className="chat-picker" role="group" aria-label="Choose a reaction">
          {EMOJIS.map((emoji) => (
            <button type="button" key={emoji} aria-pressed={mine.has(`${m.id} ${emoji}`)} aria-label={`React with ${emoji}`} onClick={() => void react(emoji)}>
              {emoji}
            </button>
          ))}
        </div>
      )}
    </li>
  );
}

/**
 * A message's mark from how many of the other members read it and received it: "Read" only once
 * every one of them read it; in a group, the count on the way ("Read by 1 of 3").
 */
function markFor(read: number, delivered: number, others: number): string {
  if (others === 0) return 'Sent';
  if (read === others) return others === 1 ? 'Read' : 'Read by all';
  if (read > 0) return `Read by ${read} of ${others}`;
  if (delivered === others) return others === 1 ? 'Delivered' : 'Delivered to all';
  if (delivered > 0) return `Delivered to ${delivered} of ${others}`;
  return 'Sent';
}

function without<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}

function raised(map: ReadonlyMap<string, number>, key: string, seq: number): ReadonlyMap<string, number> {
  return (map.get(key) ?? 0) >= seq ? map : new Map(map).set(key, seq);
}

function toggled(set: ReadonlySet<string>, key: string, on: boolean): ReadonlySet<string> {
  if (set.has(key) === on) return set;
  const next = new Set(set);
  if (on) next.add(key);
  else next.delete(key);
  return next;
}

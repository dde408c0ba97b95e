import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { errorOf, type api } from '@realchat/client';
import { navigate } from '../../app/router.js';
import { useSession } from '../../app/session.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { usePresence, type Friend } from './live.js';

type FriendRequest = api.paths['/chat/friends/requests']['get']['responses'][200]['content']['application/json']['items'][number];
type Blocked = api.paths['/chat/blocks']['get']['responses'][200]['content']['application/json']['items'][number];

interface People {
  readonly friends: readonly Friend[];
  readonly requests: readonly FriendRequest[];
  readonly blocks: readonly Blocked[];
}

async function loadPeople(): Promise<People> {
  const [friends, requests, blocks] = await Promise.all([
    unwrap(rc.api.GET('/chat/friends', { params: { query: { limit: 100 } } })),
    unwrap(rc.api.GET('/chat/friends/requests', { params: { query: { limit: 100 } } })),
    unwrap(rc.api.GET('/chat/blocks', { params: { query: { limit: 100 } } })),
  ]);
  return { friends: friends.items, requests: requests.items.filter((r) => r.status === 'pending'), blocks: blocks.items };
}

/**
 * A request by email is made after the server's 202 has left (so that its timing tells nothing
 * of the address): the page looks again at these delays until the request shows among the sent ones.
 */
const LOOK_AGAIN_MS = [150, 500, 1_000, 2_000, 4_000, 8_000];

const sentCount = (p: People): number => p.requests.filter((r) => r.direction === 'outgoing').length;

/** Friends and their presence, requests both ways, a request by email, blocks. */
export function Friends(): ReactNode {
  const { notifications } = useSession();
  const isOnline = usePresence();
  const [people, setPeople] = useState<People | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);

  const reload = useCallback(() => loadPeople().then(setPeople), []);
  useEffect(() => {
    reload().catch((err: unknown) => setError(messageOf(err)));
  }, [reload]);
  // A request received or accepted elsewhere arrives as a notification: show it without a reload.
  useEffect(
    () =>
      notifications.on('notification.new', ({ notification }) => {
        if (notification.type === 'chat.friend_request' || notification.type === 'chat.friend_accepted') reload().catch(() => undefined);
      }),
    [notifications, reload],
  );

  const act = async (what: () => Promise<unknown>, done?: string): Promise<void> => {
    setError(null);
    setNotice(null);
    setBusy(true);
    try {
      await what();
      await reload();
      if (done !== undefined) setNotice(done);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const sendRequest = (e: FormEvent): void => {
    e.preventDefault();
    const to = email.trim();
    if (to === '') return;
    void act(async () => {
      const { error: problem, response } = await rc.api.POST('/chat/friends/requests', { body: { email: to } });
      if (!response.ok) throw await errorOf(response, problem);
      setEmail('');
      // 202: the server does not say whether anyone has this address.
      if (response.status === 202) {
        setNotice(`Request sent to ${to} if they have an account.`);
        void lookAgain(people === null ? 0 : sentCount(people));
      }
    });
  };

  const lookAgain = async (sentBefore: number): Promise<void> => {
    for (const delay of LOOK_AGAIN_MS) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      const now = await loadPeople().catch(() => null);
      if (now === null) return;
      setPeople(now);
      if (sentCount(now) > sentBefore) return;
    }
  };

  const openDirect = async (friend: Friend): Promise<void> => {
    setError(null);
    try {
      const conversation = await unwrap(rc.api.POST('/chat/conversations', { body: { type: 'direct', userId: friend.id } }));
      navigate(`/chat/${conversation.id}`);
    } catch (err) {
      setError(messageOf(err));
    }
  };

  const incoming = people?.requests.filter((r) => r.direction === 'incoming') ?? [];
  const outgoing = people?.requests.filter((r) => r.direction === 'outgoing') ?? [];

  return (
    <div className="chat-friends">
      <h1>Friends</h1>
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {notice !== null && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <form className="card chat-inline-form" onSubmit={sendRequest} aria-label="Add a friend">
        <Field label="Friend's email" type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} required />
        <button type="submit" className="primary" disabled={busy}>
          Send request
        </button>
      </form>
      {people === null ? (
        <p aria-busy="true">Loading friends…</p>
      ) : (
        <>
          <section aria-labelledby="incoming-heading">
            <h2 id="incoming-heading">Requests for you</h2>
            {incoming.length === 0 ? (
              <p className="muted">No requests waiting.</p>
            ) : (
              <ul className="list" aria-label="Requests for you">
                {incoming.map((r) => (
                  <li key={r.id} className="list-row">
                    <span className="strong">{r.user.displayName}</span>
                    <span className="chat-actions">
                      <button type="button" className="primary" disabled={busy} onClick={() => void act(() => unwrap(rc.api.POST('/chat/friends/requests/{id}/accept', { params: { path: { id: r.id } } })), `${r.user.displayName} is now your friend.`)} aria-label={`Accept ${r.user.displayName}`}>
                        Accept
                      </button>
                      <button type="button" className="secondary" disabled={busy} onClick={() => void act(() => unwrap(rc.api.POST('/chat/friends/requests/{id}/decline', { params: { path: { id: r.id } } })))} aria-label={`Decline ${r.user.displayName}`}>
                        Decline
                      </button>
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {outgoing.length > 0 && (
            <section aria-labelledby="outgoing-heading">
              <h2 id="outgoing-heading">Requests you sent</h2>
              <ul className="list" aria-label="Requests you sent">
                {outgoing.map((r) => (
                  <li key={r.id} className="list-row">
                    <span>
                      <span className="strong">{r.user.displayName}</span> <span className="muted small">waiting</span>
                    </span>
                    <button type="button" className="secondary" disabled={busy} onClick={() => void act(() => unwrap(rc.api.DELETE('/chat/friends/requests/{id}', { params: { path: { id: r.id } } })))} aria-label={`Cancel request to ${r.user.displayName}`}>
                      Cancel
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
          <section aria-labelledby="friends-heading">
            <h2 id="friends-heading">Your friends</h2>
            {people.friends.length === 0 ? (
              <p className="muted">No friends yet: send a request by email above.</p>
            ) : (
              <ul className="list" aria-label="Your friends">
                {people.friends.map((f) => (
                  <li key={f.id} className="list-row chat-friend">
                    <span className="chat-who">
                      <Presence online={isOnline(f.id)} />
                      <span className="strong">{f.displayName}</span>
                    </span>
                    <span className="chat-actions">
                      <button type="button" className="primary" onClick={() => void openDirect(f)} aria-label={`Message ${f.displayName}`}>
                        Message
                      </button>
                      <button type="button" className="secondary" disabled={busy} onClick={() => void act(() => unwrap(rc.api.DELETE('/chat/friends/{userId}', { params: { path: { userId: f.id } } })))} aria-label={`Remove ${f.displayName}`}>
                        Remove
                      </button>
                      <button type="button" className="secondary" disabled={busy} onClick={() => void act(() => unwrap(rc.api.POST('/chat/blocks', { body: { userId: f.id } })), `${f.displayName} is blocked.`)} aria-label={`Block ${f.displayName}`}>
                        Block
                      </button>
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {people.blocks.length > 0 && (
            <section aria-labelledby="blocked-heading">
              <h2 id="blocked-heading">Blocked</h2>
              <ul className="list" aria-label="Blocked people">
                {people.blocks.map((b) => (
                  <li key={b.id} className="list-row">
                    <span className="strong">{b.displayName}</span>
                    <button type="button" className="secondary" disabled={busy} onClick={() => void act(() => unwrap(rc.api.DELETE('/chat/blocks/{userId}', { params: { path: { userId: b.id } } })))} aria-label={`Unblock ${b.displayName}`}>
                      Unblock
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </div>
  );
}

/** A dot and its words (colour alone would not say it). */
export function Presence({ online }: { online: boolean }): ReactNode {
  return (
    <span className={online ? 'presence online' : 'presence'}>
      <span className="presence-dot" aria-hidden="true" />
      <span className="visually-hidden">{online ? 'Online' : 'Offline'}</span>
    </span>
  );
}

import { useCallback, useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import type { Notification, NotificationType } from '@realchat/client';
import { navigate } from '../../app/router.js';
import { useSession } from '../../app/session.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';
import { ErrorLine, LoadMore } from '../forum/common.js';
import { when } from '../forum/types.js';
import { useCursorList } from '../forum/useCursorList.js';
import { appPathOf, sentenceOf, TYPE_LABELS } from './targets.js';
import './notifications.css';

/** The notification inbox: newest first, live, each item opening its target. */
export function Inbox(): ReactNode {
  const { notifications } = useSession();
  const [unread, setUnread] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fetchPage = useCallback(async (cursor: string | null) => {
    const page = await unwrap(rc.api.GET('/notifications', { params: { query: { limit: 20, ...(cursor === null ? {} : { cursor }) } } }));
    if (cursor === null) setUnread(page.unreadCount);
    return page;
  }, []);
  const list = useCursorList<Notification>(fetchPage);
  const { update } = list;

  useEffect(() => {
    // A notification that grows (collapsed chat messages) comes again with its id: it moves to the top.
    const offNew = notifications.on('notification.new', ({ notification }) => update((items) => [notification, ...items.filter((i) => i.id !== notification.id)]));
    const offUnread = notifications.on('unread', ({ count }) => setUnread(count));
    return () => {
      offNew();
      offUnread();
    };
  }, [notifications, update]);

  const markRead = (n: Notification): Promise<void> =>
    unwrap(rc.api.POST('/notifications/{id}/read', { params: { path: { id: n.id } } })).then((read) => update((items) => items.map((i) => (i.id === n.id ? read : i))));
  const fail = (err: unknown): void => setError(messageOf(err));
  const open = (n: Notification) => (e: MouseEvent<HTMLAnchorElement>) => {
    e.preventDefault();
    if (!n.read) void markRead(n).catch(() => undefined);
    navigate(appPathOf(n.target));
  };
  const remove = (n: Notification): void => {
    setError(null);
    unwrap(rc.api.DELETE('/notifications/{id}', { params: { path: { id: n.id } } }))
      .then(() => update((items) => items.filter((i) => i.id !== n.id)))
      .catch(fail);
  };
  const markAll = (): void => {
    setError(null);
    unwrap(rc.api.POST('/notifications/read-all'))
      .then(() => {
        setUnread(0);
        update((items) => items.map((i) => ({ ...i, read: true })));
      })
      .catch(fail);
  };

  return (
    <div className="page narrow inbox">
      <div className="inbox-head">
        <h1>Notifications</h1>
        <button type="button" className="secondary" onClick={markAll} disabled={unread === 0}>
          Mark all read
        </button>
      </div>
      <p className="muted" role="status">
        {unread === null ? '' : unread === 0 ? 'No unread notifications.' : `${unread} unread`}
      </p>
      <ErrorLine error={error ?? list.error} />
      {list.items === null ? (
        <p aria-busy="true">Loading notifications…</p>
      ) : list.items.length === 0 ? (
        <p className="muted">Nothing yet. Comments, replies, mentions and friend requests show up here.</p>
      ) : (
        <ul className="list" aria-label="Notifications">
          {list.items.map((n) => (
            <li key={n.id} className={`list-row notification${n.read ? '' : ' unread'}`}>
              <div className="notification-text">
                <a href={`#${appPathOf(n.target)}`} onClick={open(n)} className="strong">
                  {!n.read && <span className="visually-hidden">Unread: </span>}
                  {sentenceOf(n)}
                </a>
                {n.preview !== null && n.preview !== '' && <p className="preview">{n.preview}</p>}
                <p className="muted small">{when(n.updatedAt)}</p>
              </div>
              <div className="actions">
                {!n.read && (
                  <button type="button" className="link" onClick={() => void markRead(n).catch(fail)} aria-label={`Mark read: ${sentenceOf(n)}`}>
                    Mark read
                  </button>
                )}
                <button type="button" className="link danger-link" onClick={() => remove(n)} aria-label={`Delete: ${sentenceOf(n)}`}>
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <LoadMore hasMore={list.hasMore} loading={list.loading} onMore={() => void list.loadMore()} label="Older notifications" />
      <Preferences />
    </div>
  );
}

/** Muted types are not notified at all (GET/PUT /notifications/preferences). */
function Preferences(): ReactNode {
  const [prefs, setPrefs] = useState<{ types: NotificationType[]; muted: NotificationType[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    let active = true;
    unwrap(rc.api.GET('/notifications/preferences'))
      .then((p) => active && setPrefs(p))
      .catch((err: unknown) => active && setError(messageOf(err)));
    return () => {
      active = false;
    };
  }, []);
  const toggle = (type: NotificationType, mute: boolean): void => {
    if (prefs === null) return;
    const muted = mute ? [...prefs.muted, type] : prefs.muted.filter((t) => t !== type);
    const before = prefs;
    // Shown at once; put back if the server refuses it.
    setPrefs({ ...prefs, muted });
    setError(null);
    setSaved(false);
    unwrap(rc.api.PUT('/notifications/preferences', { body: { muted } }))
      .then((p) => {
        setPrefs(p);
        setSaved(true);
      })
      .catch((err: unknown) => {
        setPrefs(before);
        setError(messageOf(err));
      });
  };
  return (
    <details className="card preferences">
      <summary>Preferences</summary>
      {prefs === null ? (
        <p aria-busy={error === null}>{error === null ? 'Loading…' : ''}</p>
      ) : (
        <fieldset>
          <legend>Mute these notifications</legend>
          {prefs.types.map((type) => (
            <label key={type} className="check">
              <input type="checkbox" checked={prefs.muted.includes(type)} onChange={(e) => toggle(type, e.target.checked)} />
              {TYPE_LABELS[type]}
            </label>
          ))}
        </fieldset>
      )}
      <ErrorLine error={error} />
      {saved && (
        <p className="success small" role="status">
          Saved.
        </p>
      )}
    </details>
  );
}

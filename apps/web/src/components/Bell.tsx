import { useEffect, useState, type ReactNode } from 'react';
import { useSession } from '../app/session.js';
import { Link } from '../app/router.js';
import { rc, unwrap } from '../lib/api.js';

/** The notification bell: the unread count from the inbox, then live from `/notifications/ws`. */
export function Bell(): ReactNode {
  const { notifications } = useSession();
  const [unread, setUnread] = useState<number | null>(null);
  useEffect(() => {
    let live = false;
    const off = notifications.on('unread', ({ count }) => {
      live = true;
      setUnread(count);
    });
    void unwrap(rc.api.GET('/notifications', { params: { query: { limit: 1 } } }))
      .then((page) => !live && setUnread(page.unreadCount))
      .catch(() => undefined);
    return off;
  }, [notifications]);
  const count = unread ?? 0;
  const label = count === 0 ? 'Notifications, none unread' : `Notifications, ${count} unread`;
  return (
    <Link to="/notifications" className="bell" aria-label={label} data-testid="bell">
      <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
        <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
      </svg>
      {count > 0 && (
        <span className="badge" data-testid="bell-badge">
          {count > 99 ? '99+' : count}
        </span>
      )}
    </Link>
  );
}

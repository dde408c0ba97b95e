import { useEffect, useRef, type ReactNode } from 'react';
import { Bell } from '../components/Bell.js';
import { AccountMenu } from '../components/AccountMenu.js';
import { Devices } from '../pages/account/Devices.js';
import { Profile } from '../pages/account/Profile.js';
import { ChatPage } from '../pages/chat/ChatPage.js';
import { ChatBackground } from '../pages/chat/live.js';
import { ForumPage } from '../pages/forum/ForumPage.js';
import { Inbox } from '../pages/notifications/Inbox.js';
import { Link, match, navigate, usePath } from './router.js';

interface Route {
  /** Path patterns (`:name` segments) this screen answers. */
  readonly patterns: readonly string[];
  readonly title: string;
  readonly render: (params: Record<string, string>, path: string) => ReactNode;
}

/** Every screen behind sign-in. Each area owns its sub-paths (chat: `/chat/...`, forum: `/forum/...`). */
const ROUTES: readonly Route[] = [
  { patterns: ['/chat', '/chat/friends', '/chat/search', '/chat/:conversationId'], title: 'Chat', render: (_p, path) => <ChatPage path={path} /> },
  { patterns: ['/forum', '/forum/search', '/forum/categories/:categoryId', '/forum/posts/:postId'], title: 'Forum', render: (_p, path) => <ForumPage path={path} /> },
  { patterns: ['/notifications'], title: 'Notifications', render: () => <Inbox /> },
  { patterns: ['/account/profile'], title: 'Profile', render: () => <Profile /> },
  { patterns: ['/account/devices'], title: 'Devices', render: () => <Devices /> },
];

function resolve(path: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    for (const pattern of route.patterns) {
      const params = match(pattern, path);
      if (params !== null) return { route, params };
    }
  }
  return undefined;
}

/** The signed-in layout: a header with the areas, the bell and the account menu; the screen below. */
export function Shell(): ReactNode {
  const path = usePath();
  const found = resolve(path);
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    if (found === undefined) navigate('/chat', { replace: true });
  }, [found]);
  const title = found?.route.title ?? 'RealChat';
  useEffect(() => {
    document.title = `${title} · RealChat`;
  }, [title]);
  const area = path.split(/[/?]/)[1] ?? '';
  return (
    <div className="shell">
      <ChatBackground />
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/chat" className="brand">
          RealChat
        </Link>
        <nav aria-label="Main" className="areas">
          <Link to="/chat" aria-current={area === 'chat' ? 'page' : undefined}>
            Chat
          </Link>
          <Link to="/forum" aria-current={area === 'forum' ? 'page' : undefined}>
            Forum
          </Link>
        </nav>
        <div className="topbar-end">
          <Bell />
          <AccountMenu />
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {found?.route.render(found.params, path)}
      </main>
    </div>
  );
}

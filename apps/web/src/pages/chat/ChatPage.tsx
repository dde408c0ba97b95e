import type { ReactNode } from 'react';
import { Link, match } from '../../app/router.js';
import { Conversation } from './Conversation.js';
import { Conversations } from './Conversations.js';
import { Friends } from './Friends.js';
import { Search } from './Search.js';
import './chat.css';

/** Chat: `/chat` (conversations), `/chat/:conversationId`, `/chat/friends`, `/chat/search`. */
export function ChatPage({ path }: { path: string }): ReactNode {
  const section = match('/chat/friends', path) !== null ? 'friends' : match('/chat/search', path) !== null ? 'search' : 'conversations';
  const selectedId = section === 'conversations' ? match('/chat/:conversationId', path)?.['conversationId'] : undefined;
  return (
    <div className="page chat">
      <nav aria-label="Chat" className="chat-tabs">
        <Link to="/chat" aria-current={section === 'conversations' ? 'page' : undefined}>
          Conversations
        </Link>
        <Link to="/chat/friends" aria-current={section === 'friends' ? 'page' : undefined}>
          Friends
        </Link>
        <Link to="/chat/search" aria-current={section === 'search' ? 'page' : undefined}>
          Search
        </Link>
      </nav>
      {section === 'friends' ? (
        <Friends />
      ) : section === 'search' ? (
        <Search path={path} />
      ) : (
        <div className={selectedId === undefined ? 'chat-layout' : 'chat-layout has-open'}>
          <Conversations selectedId={selectedId} />
          {selectedId === undefined ? (
            <section className="chat-pane chat-empty">
              <p className="muted">Choose a conversation, or start one from your friends.</p>
            </section>
          ) : (
            <Conversation key={selectedId} id={selectedId} />
          )}
        </div>
      )}
    </div>
  );
}

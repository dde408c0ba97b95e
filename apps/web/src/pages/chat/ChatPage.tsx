import type { ReactNode } from 'react';

/** Chat: `/chat` (conversations), `/chat/:conversationId`, `/chat/friends`, `/chat/search`. */
export function ChatPage({ path }: { path: string }): ReactNode {
  return (
    <div className="page">
      <h1>Chat</h1>
      <p className="muted">{path}</p>
    </div>
  );
}

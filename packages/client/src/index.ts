export { RealChat, type RealChatOptions, type LiveContext } from './client.js';
export { RealChatError } from './errors.js';
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export type { WebSocketConstructor, WebSocketLike, BroadcastChannelConstructor, BroadcastChannelLike, LockManagerLike } from './platform.js';
export { Session, type Fetch, type RefreshTransport, type SessionEvents } from './tokens/session.js';
export { processRefreshLock, webLocksRefreshLock, type RefreshLock } from './tokens/refresh-lock.js';
export { broadcastTokenShare, memoryTokenShare, type TokenSet, type TokenShare } from './tokens/token-share.js';
export type * as api from './generated/index.js';
export type { paths } from './generated/index.js';

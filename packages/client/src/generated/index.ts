// Generated from the services' OpenAPI documents by packages/client/scripts/generate.ts: do not edit.
// Regenerate with `npm run generate -w @realchat/client`.

import type { paths as AuthPaths } from './auth.js';
import type { paths as ChatPaths } from './chat.js';
import type { paths as ForumPaths } from './forum.js';
import type { paths as NotificationsPaths } from './notifications.js';

export type * as auth from './auth.js';
export type * as chat from './chat.js';
export type * as forum from './forum.js';
export type * as notifications from './notifications.js';

/** Every route of the API as the gateway serves it. */
export type paths = AuthPaths & ChatPaths & ForumPaths & NotificationsPaths;

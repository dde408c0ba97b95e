import { authSource } from './auth.js';
import { chatSource } from './chat.js';
import { forumSource } from './forum.js';
import type { Source } from './source.js';

/** Every domain that notifies. A new one: a file beside these and a line here. */
export const SOURCES: readonly Source[] = [forumSource, chatSource, authSource];

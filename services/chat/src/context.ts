import type { Authentication } from '@realchat/auth-verify';
import type { ServiceContext } from '@realchat/runtime';
import type { ChatEnv } from './config.js';

/** What chat's parts receive from the host. */
export type ChatContext = ServiceContext<ChatEnv> & { readonly authentication: Authentication };

/** The chat schema: every query names it (`chat.messages`), as the host does not set a search_path. */
export const CHAT_SCHEMA = 'chat';

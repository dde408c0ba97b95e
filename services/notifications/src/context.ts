import type { Authentication } from '@realchat/auth-verify';
import type { ServiceContext } from '@realchat/runtime';
import type { NotificationsEnv } from './config.js';

/** What the notification service's parts receive from the host. */
export type NotificationsContext = ServiceContext<NotificationsEnv> & { readonly authentication: Authentication };

/** The schema: every query names it (`notifications.notifications`), as the host sets no search_path. */
export const NOTIFICATIONS_SCHEMA = 'notifications';

import { authService } from '@realchat/auth';
import { chatService } from '@realchat/chat';
import { forumService } from '@realchat/forum';
import { notificationsService } from '@realchat/notifications';
import type { AnyServiceDefinition } from '@realchat/runtime';

/** Every service of RealChat, in start order: the one list the CLI (start, migrate, outbox, commands) reads. */
export const SERVICES: readonly AnyServiceDefinition[] = [authService, chatService, forumService, notificationsService];

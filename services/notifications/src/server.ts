import { runService } from '@realchat/runtime';
import { notificationsService } from './module.js';

/** The notification service as its own process (distributed mode). */
await runService(notificationsService).catch(() => process.exit(1));

import { runService } from '@realchat/runtime';
import { forumService } from './module.js';

/** The forum service as its own process (distributed mode). */
await runService(forumService).catch(() => process.exit(1));

import { runService } from '@realchat/runtime';
import { chatService } from './module.js';

/** The chat service as its own process (distributed mode). */
await runService(chatService).catch(() => process.exit(1));

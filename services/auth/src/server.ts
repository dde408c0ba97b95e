import { runService } from '@realchat/runtime';
import { authService } from './module.js';

/** The auth service as its own process (distributed mode). */
await runService(authService).catch(() => process.exit(1));

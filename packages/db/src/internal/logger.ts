import { pino, type Logger } from 'pino';

/** The logger used when the caller gives none. */
export const silentLogger: Logger = pino({ level: 'silent' });

import type { IncomingMessage } from 'node:http';
import { systemClock, type Clock } from '@realchat/clock';

/** Bytes read and discarded after an early answer before the connection is cut. */
const LINGER_BYTES = 16 * 1024 * 1024;
/** Time allowed for the rest of the body after an early answer, as nginx's lingering_timeout. */
const LINGER_MS = 5000;

/**
 * After an answer sent before the request body was read (413), reads and discards the rest of
 * the body, up to a bound in bytes and time, as nginx's lingering close does. Closing at once
 * would reset a connection the client is still writing to, and the reset can destroy the answer
 * before the client reads it. A body that ends within the bound leaves the connection reusable;
 * past the bound the connection is cut.
 */
export function drainRequest(req: IncomingMessage, clock: Clock = systemClock): void {
  if (req.complete || req.destroyed) return;
  let received = 0;
  const timer = clock.setTimeout(() => req.socket.destroy(), LINGER_MS, { unref: true });
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > LINGER_BYTES) req.socket.destroy();
  });
  const stop = (): void => timer.clear();
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}

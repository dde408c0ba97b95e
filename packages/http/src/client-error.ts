import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from '@realchat/errors';

/** What Node's parser refuses before any request exists, as the AppError to answer it with. */
function errorOf(code: string | undefined): AppError {
  if (code === 'HPE_HEADER_OVERFLOW') return new AppError('HEADERS_TOO_LARGE', 'the request headers exceed the size limit');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new AppError('REQUEST_TIMEOUT', 'the request was not received in time');
  return new AppError('BAD_REQUEST', 'the request is not valid HTTP');
}

/**
 * Fastify's `clientErrorHandler`: requests Node's parser refuses (headers over the limit, a
 * malformed request line or header, a request timeout) get a problem+json answer with the fixed
 * response headers, as every other error does, instead of Node's bare 400 or 431.
 */
export function createClientErrorHandler(responseHeaders: Readonly<Record<string, string>>): (err: NodeJS.ErrnoException, socket: Socket) => void {
  const fixed = Object.entries(responseHeaders)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (err, socket) => {
    // A reset connection has nobody to answer; a response already started cannot be followed by another.
    const ongoing = (socket as Socket & { _httpMessage?: { headersSent: boolean } | null })._httpMessage;
    if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable || ongoing?.headersSent === true) {
      socket.destroy();
      return;
    }
    const error = errorOf(err.code);
    const requestId = randomUUID();
    const body = JSON.stringify(toProblem(error, { requestId }));
    socket.end(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\nx-request-id: ${requestId}\r\n${fixed}\r\n${body}`,
    );
  };
}

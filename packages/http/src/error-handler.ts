import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import type { Clock } from '@realchat/clock';
import { AppError, PROBLEM_CONTENT_TYPE, toProblem, type ErrorCode } from '@realchat/errors';
import { drainRequest } from './lingering-drain.js';
import { fieldErrors } from './validation.js';

/** The stable code for a status that Fastify or a plugin (rate limit, content negotiation, ...) sets on its error. */
const codeOfStatus: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [400, 'BAD_REQUEST'],
  [401, 'UNAUTHENTICATED'],
  [403, 'FORBIDDEN'],
  [404, 'NOT_FOUND'],
  [405, 'METHOD_NOT_ALLOWED'],
  [406, 'NOT_ACCEPTABLE'],
  [408, 'REQUEST_TIMEOUT'],
  [409, 'CONFLICT'],
  [413, 'PAYLOAD_TOO_LARGE'],
  [414, 'URI_TOO_LONG'],
  [415, 'UNSUPPORTED_MEDIA_TYPE'],
  [429, 'RATE_LIMITED'],
  [431, 'HEADERS_TOO_LARGE'],
  [503, 'SERVICE_UNAVAILABLE'],
]);

/**
 * The headers a plugin's error asks for (http-errors' `headers`: `Allow` on a 405, `Retry-After`
 * on a 429), string values only; a 401 always carries a Bearer challenge (RFC 9110 11.6.1).
 */
function headersOf(raw: unknown, status: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (typeof raw === 'object' && raw !== null) {
    for (const [name, value] of Object.entries(raw)) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  if (status === 401) headers['www-authenticate'] ??= 'Bearer realm="realchat"';
  return headers;
}

/** Maps what Fastify itself throws (parse errors, limits, validation) to AppErrors with stable codes. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = (typeof err === 'object' && err !== null ? err : {}) as Partial<FastifyError> & {
    status?: unknown;
    headers?: unknown;
    validation?: ErrorObject[];
    validationContext?: string;
  };
  if (Array.isArray(fe.validation)) {
    const part = fe.validationContext ?? 'body';
    const errors = fieldErrors(fe.validation, part);
    const first = errors[0];
    return new AppError('VALIDATION_FAILED', first === undefined ? 'the request is not valid' : `${first.path || part} ${first.message}`, { errors });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('MALFORMED_JSON', 'the body is not valid JSON', { cause: err });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'the body is larger than the limit', { cause: err });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('BAD_REQUEST', 'the body size does not match Content-Length', { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'this Content-Type is not accepted here', { cause: err });
    case 'FST_ERR_CTP_EMPTY_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'a body needs a Content-Type', { cause: err });
    default:
      break;
  }
  if (err instanceof SyntaxError) return new AppError('BAD_REQUEST', 'the request is malformed', { cause: err });
  // Fastify's own handler reads `statusCode`, then `status` (http-errors sets both).
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : typeof fe.status === 'number' ? fe.status : undefined;
  if (status !== undefined && status >= 400 && status < 600) {
    const code = codeOfStatus.get(status);
    const headers = headersOf(fe.headers, status);
    if (code === 'BAD_REQUEST') return new AppError('BAD_REQUEST', 'the request is malformed', { cause: err, headers });
    if (code !== undefined) return new AppError(code, undefined, { cause: err, headers });
    // Any other 4xx is still the client's doing; other 5xx stay INTERNAL below.
    if (status < 500) return new AppError('BAD_REQUEST', undefined, { cause: err, headers });
  }
  return new AppError('INTERNAL', 'an unexpected error occurred', { cause: err });
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(toProblem(error, { instance: request.url.split('?')[0] ?? request.url, requestId: String(request.id) }));
}

/** One renderer for every error: problem+json; 5xx are logged with their cause, never echoed. */
export function installErrorHandling(app: FastifyInstance, clock?: Clock): void {
  app.setErrorHandler((err, request, reply) => {
    const appError = toAppError(err);
    if (appError.code === 'PAYLOAD_TOO_LARGE') {
      // Fastify asks to close at once, which resets a client still sending: drain instead.
      void reply.removeHeader('connection');
      drainRequest(request.raw, clock);
    }
    if (appError.status >= 500) request.log.error({ err, code: appError.code }, 'request failed');
    else request.log.info({ code: appError.code, detail: appError.message }, 'request rejected');
    return sendProblem(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new AppError('ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
}

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from '@realchat/errors';
import { fieldErrors } from './validation.js';

/** Maps what Fastify itself throws (parse errors, limits, validation) to AppErrors with stable codes. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as Partial<FastifyError> & { validation?: ErrorObject[]; validationContext?: string };
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
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'this Content-Type is not accepted here', { cause: err });
    case 'FST_ERR_CTP_EMPTY_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'a body needs a Content-Type', { cause: err });
    default:
      break;
  }
  if (err instanceof SyntaxError || fe.statusCode === 400) return new AppError('BAD_REQUEST', 'the request is malformed', { cause: err });
  if (fe.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE', undefined, { cause: err });
  if (fe.statusCode === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', undefined, { cause: err });
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
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const appError = toAppError(err);
    if (appError.status >= 500) request.log.error({ err, code: appError.code }, 'request failed');
    else request.log.info({ code: appError.code, detail: appError.message }, 'request rejected');
    return sendProblem(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new AppError('ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );
}

import type { AppError, FieldError } from './app-error.js';

/** RFC 9457 problem details document with RealChat's stable `code`. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problemType(code: string): string {
  return `https://realchat.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

/** Renders an AppError as a problem document; unknown errors must be turned into INTERNAL before this. */
export function toProblem(err: AppError, context: { instance?: string; requestId?: string } = {}): ProblemDetails {
  return {
    ...err.extensions,
    type: problemType(err.code),
    title: err.title,
    status: err.status,
    detail: err.message,
    code: err.code,
    ...(context.instance === undefined ? {} : { instance: context.instance }),
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    ...(err.errors === undefined ? {} : { errors: err.errors }),
  };
}

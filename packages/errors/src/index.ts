export { errorCatalog, defineErrors, knownErrors, statusOf, type ErrorCode, type ErrorDefinition, type ServiceErrorCode, type ServiceErrors } from './codes.js';
export { AppError, isAppError, type AppErrorOptions, type FieldError } from './app-error.js';
export { toProblem, problemType, PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem.js';

export { createHttpApp, type App, type HttpAppOptions } from './app.js';
export { Probes, type ReadinessCheck } from './probes.js';
export { toAppError, sendProblem } from './error-handler.js';
export type { ServiceModule } from './service-module.js';
export { registerOpenApi, type OpenApiOptions, type OpenApiDocument } from './openapi.js';

export { createHttpApp, type App, type HttpAppOptions } from './app.js';
export { Probes, type ReadinessCheck } from './probes.js';
export { toAppError, sendProblem } from './error-handler.js';
export { collectAccessRules, type AccessRule, type AccessMode } from './access-rules.js';
export { ServiceManifestSchema, SERVICE_MANIFEST_MEMBER, type ServiceManifest } from './service-manifest.js';
export { registerOpenApi, type OpenApiOptions, type OpenApiDocument } from './openapi.js';
export { OutboxMetrics } from './outbox-metrics.js';
export { clientKey } from './client-key.js';
export { drainRequest } from './lingering-drain.js';
export { isStorableText } from './validation.js';
export {
  pageQuery,
  Page,
  toPage,
  cursorCodec,
  CursorTime,
  CursorId,
  CURSOR_MAX_LENGTH,
  type PageQueryOptions,
  type PageOf,
  type CursorCodec,
} from './pagination.js';

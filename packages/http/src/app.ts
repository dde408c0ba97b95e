import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock } from '@realchat/clock';
import type { Registry } from 'prom-client';
import { requestIdFrom, type Logger } from '@realchat/logging';
import { createClientErrorHandler } from './client-error.js';
import { installErrorHandling, sendProblem, toAppError } from './error-handler.js';
import { createMetrics } from './metrics.js';
import { Probes, registerProbeRoutes } from './probes.js';
import { createValidatorCompiler } from './validation.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Readiness checks behind `/readyz`; each service adds its dependencies. */
    probes: Probes;
    /** The app's Prometheus registry behind `/metrics`. */
    metrics: Registry;
  }
  interface FastifyRequest {
    /** The `route` label of the request's metrics when the route pattern says too little (a catch-all proxy: `/chat/*`). */
    metricsRoute: string | null;
  }
}

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface HttpAppOptions {
  readonly logger: Logger;
  /** Largest accepted body in bytes. */
  readonly bodyLimit?: number;
  /** Fastify `trustProxy`: false, true, or the addresses/CIDRs of trusted proxies. */
  readonly trustProxy?: boolean | string | string[];
  readonly readinessTimeoutMs?: number;
  /** Times the readiness checks out. Default systemClock. */
  readonly clock?: Clock;
  /** Process-level metrics (event loop, memory); on for servers, off in tests. */
  readonly defaultMetrics?: boolean;
  /** Headers every response carries (the gateway's security headers); names in lower case. A route may override one. */
  readonly responseHeaders?: Readonly<Record<string, string>>;
  /**
   * Rewrites each request target before routing (Fastify's `rewriteUrl`): what it returns is the
   * `request.url` that the router, every hook and handler see. The gateway normalises paths here.
   */
  readonly rewriteUrl?: (url: string) => string;
}

function rewriteWith(rewrite: (url: string) => string): (req: RawRequestDefaultExpression) => string {
  return (req) => rewrite(req.url ?? '/');
}

/**
 * The base every service starts from: problem+json errors, strict schemas, request ids echoed in
 * `x-request-id`, `/healthz`, `/readyz`, `/metrics`. It does not listen: server.ts does.
 */
export function createHttpApp(options: HttpAppOptions): App {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: options.trustProxy ?? false,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    return503OnClosing: true,
    // What Node's parser refuses (431, a malformed request) is answered in problem+json too.
    clientErrorHandler: createClientErrorHandler(options.responseHeaders ?? {}),
    ...(options.rewriteUrl === undefined ? {} : { rewriteUrl: rewriteWith(options.rewriteUrl) }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // The router's own refusals (a badly encoded URL, a path parameter over maxParamLength) skip
    // the error handler unless given here: problem+json like every other error.
    frameworkErrors: (err, request, reply) => void sendProblem(request, reply, toAppError(err)),
  });
  app.setValidatorCompiler(createValidatorCompiler());
  // JSON only by default: a text body would reach schemas as a string; routes that take forms add a parser.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app, options.clock);
  // One hook for every fixed header: each hook is a measurable share of a small request.
  const fixed = Object.entries(options.responseHeaders ?? {});
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    for (let i = 0; i < fixed.length; i++) void reply.header(fixed[i]![0], fixed[i]![1]);
    done();
  });
  const probes = new Probes(options.clock);
  app.decorate('probes', probes);
  app.decorate('metrics', createMetrics(app, { defaultMetrics: options.defaultMetrics ?? false }));
  registerProbeRoutes(app, probes, options.readinessTimeoutMs ?? 2000);
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

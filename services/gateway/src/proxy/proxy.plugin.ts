import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from '@realchat/errors';
import { drainRequest, type App } from '@realchat/http';
import type { GatewayContext } from '../context.js';
import type { UpstreamPool } from '../upstreams/pool.js';
import { pathOf } from '../upstreams/route-table.js';
import type { ForwardedFacts } from './headers.js';
import { proxyRequest } from './http-proxy.js';
import { nextTraceparent } from './traceparent.js';

/**
 * The HTTP proxy: every path no route of this process serves is looked up in the directory's
 * current routes and streamed to an instance of that service, or answered 404. A child context
 * whose catch-all parser leaves the body unread, to stream it.
 */
export async function installProxy(app: App, ctx: GatewayContext): Promise<void> {
  const { config, directory, metrics } = ctx;
  const proxyOptions = { timeoutMs: config.proxy.timeoutMs, bodyLimit: config.bodyLimit, maxAttempts: config.proxy.maxAttempts };
  const trusted = ctx.trustProxy !== false;
  const factsOf = (request: FastifyRequest): ForwardedFacts => {
    const trace = nextTraceparent(request.headers.traceparent);
    const tracestate = request.headers.tracestate;
    return {
      chain: trusted ? [...request.ips!].reverse() : [request.ip],
      proto: request.protocol,
      host: request.headers.host === undefined ? undefined : request.host,
      requestId: request.id,
      traceparent: trace.traceparent,
      tracestate: trace.continued && typeof tracestate === 'string' ? tracestate : undefined,
    };
  };
  const forward = (pool: UpstreamPool, request: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    const res = reply.raw;
    proxyRequest(
      {
        pool,
        req: request.raw,
        res,
        facts: factsOf(request),
        gatewayHeaders: reply.getHeaders(),
        // Methods, not arrow properties: tsx would name each arrow made per request.
        fail(error) {
          if (res.headersSent) {
            res.destroy();
            return;
          }
          if (error.status >= 500) request.log.warn({ code: error.code, service: pool.service }, error.message);
          const body = JSON.stringify(toProblem(error, { instance: pathOf(request.url), requestId: request.id }));
          const headers: Record<string, string | number | readonly string[] | undefined> = { ...reply.getHeaders() };
          for (const [name, value] of Object.entries(error.headers)) headers[name.toLowerCase()] = value;
          headers['content-type'] = PROBLEM_CONTENT_TYPE;
          headers['content-length'] = Buffer.byteLength(body);
          res.writeHead(error.status, headers as Record<string, string | number | string[]>);
          res.end(body);
          // The client may still be sending the body: read it off rather than reset the connection.
          if (error.code === 'PAYLOAD_TOO_LARGE') drainRequest(request.raw, ctx.clock);
        },
        onError(kind, err) {
          metrics.proxyErrors.inc({ service: pool.service, kind });
          if (err !== undefined) request.log.debug({ err, service: pool.service, kind }, 'proxy error');
        },
      },
      proxyOptions,
    );
  };
  await app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_request, _payload, done) => done(null));
    // Routes of this process (hosted services, probes, docs) are more specific and win.
    // Every method, but those another plugin answers for every path (CORS preflights).
    const method = child.supportedMethods.filter((m) => !child.hasRoute({ method: m, url: '/*' }));
    // Not async: a proxied request needs no promise of its own.
    child.route({ method, url: '/*', schema: { hide: true }, handler: (request, reply): void => {
      const path = pathOf(request.url);
      const route = directory.isHosted(path) ? undefined : directory.routes().match(path);
      const pool = route === undefined ? undefined : directory.pools.get(route.service);
      if (pool === undefined) throw new AppError('ROUTE_NOT_FOUND', `no route for ${request.method} ${path}`);
      request.metricsRoute = route!.label;
      forward(pool, request, reply);
    } });
  });
}

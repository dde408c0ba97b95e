import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import proxyAddr from '@fastify/proxy-addr';
import { AppError } from '@realchat/errors';
import type { App } from '@realchat/http';
import { requestIdFrom } from '@realchat/logging';
import type { SocketEndpoints } from '@realchat/runtime';
import type { GatewayContext } from '../context.js';
import type { Edge } from '../edge/edge.plugin.js';
import { cleanPath, underPrefixIgnoringCase } from '../edge/edge-guard.js';
import { createHandshakeCheck } from '../edge/handshake.js';
import { normalizeTarget } from '../edge/request-target.js';
import { INTERNAL_PREFIX, pathOf } from '../upstreams/route-table.js';
import { createUpgradeProxy, rawResponse } from './ws-proxy.js';

/**
 * The one upgrade dispatcher: a handshake for a WebSocket endpoint hosted in this process is
 * accepted here, any other is proxied to its service's pool; both meet the same edge checks
 * (origin allow-list, per-IP limit, access rule). Open sockets close when the app closes.
 */
export function installUpgrades(app: App, ctx: GatewayContext, edge: Edge, hosted: SocketEndpoints | undefined): void {
  const { config, directory, logger, metrics } = ctx;
  const trust = ctx.trustProxy === false ? () => false : proxyAddr.compile(ctx.trustProxy);
  const check = createHandshakeCheck({
    trust,
    ...(edge.ipLimiter === undefined ? {} : { ipLimiter: edge.ipLimiter }),
    authorize: edge.authorizeUpgrade,
    allowedOrigins: new Set(config.corsOrigins),
    maxSocketsPerIp: config.maxSocketsPerIp,
    logger,
  });
  const proxy = createUpgradeProxy({
    routes: () => directory.routes(),
    pools: directory.pools,
    trust,
    check,
    timeoutMs: config.proxy.timeoutMs,
    logger,
    onError: (service, kind) => metrics.proxyErrors.inc({ service, kind }),
  });

  const serveHosted = async (req: IncomingMessage, socket: Duplex, head: Buffer, requestId: string, path: string): Promise<void> => {
    const endpoint = hosted?.match(path);
    if (endpoint === undefined || req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket') {
      rawResponse(socket, new AppError('ROUTE_NOT_FOUND', `no WebSocket endpoint at ${path}`), requestId, path);
      return;
    }
    const refusal = await check(req);
    if (refusal !== undefined) {
      rawResponse(socket, refusal, requestId, path);
      return;
    }
    // The client may have left while the checks ran.
    if (!socket.destroyed) hosted!.accept(endpoint, req, socket, head);
  };

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Upgrades skip Fastify's rewriteUrl: the same normal form, for the checks and the upstream alike.
    req.url = normalizeTarget(req.url ?? '/');
    const path = pathOf(req.url);
    let clean: string;
    try {
      clean = cleanPath(req.url);
    } catch (err) {
      socket.on('error', () => socket.destroy());
      rawResponse(socket, err as AppError, requestIdFrom(req.headers['x-request-id']), path);
      return;
    }
    if (!underPrefixIgnoringCase(clean, INTERNAL_PREFIX) && !directory.isHosted(path) && proxy.handle(req, socket, head)) return;
    socket.on('error', () => socket.destroy());
    const requestId = requestIdFrom(req.headers['x-request-id']);
    if (underPrefixIgnoringCase(clean, INTERNAL_PREFIX) || !directory.isHosted(path)) {
      rawResponse(socket, new AppError('ROUTE_NOT_FOUND', `no WebSocket endpoint at ${path}`), requestId, path);
      return;
    }
    serveHosted(req, socket, head, requestId, path).catch((err: unknown) => {
      logger.error({ err }, 'websocket handshake failed');
      socket.destroy();
    });
  });
  app.addHook('preClose', async () => {
    proxy.closeAll();
    await hosted?.closeAll();
  });
}

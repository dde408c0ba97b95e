import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { AccessRule, App } from '@realchat/http';
import type { GatewayContext } from '../context.js';
import { DOCS_OPENER_POLICY, WEB_CSP } from '../edge/security-headers.js';

/** The web app's files need no token: the app signs in from the page. */
export const WEB_RULES: readonly AccessRule[] = [
  { path: '/', methods: ['GET', 'HEAD'], auth: 'none' },
  { path: '/index.html', methods: ['GET', 'HEAD'], auth: 'none' },
  { path: '/favicon.svg', methods: ['GET', 'HEAD'], auth: 'none' },
  { path: '/assets/*', methods: ['GET', 'HEAD'], auth: 'none' },
];

/**
 * Serves the web app's build at `/`: one route per file found at start (no catch-all, so a
 * service's or the proxy's paths stay theirs; the app routes by URL fragment). Pages get the web
 * CSP; the hashed files under `assets/` are immutable, the page itself is revalidated every time.
 */
export async function installWeb(app: App, ctx: GatewayContext): Promise<void> {
  const { config, logger } = ctx;
  if (config.web === false) return;
  const root = config.web.root;
  if (!existsSync(join(root, 'index.html'))) {
    logger.warn({ root }, 'no web app build here (npm run build builds it): / is not served');
    return;
  }
  await app.register(async (web) => {
    web.addHook('onRequest', async (request, reply) => {
      void reply.header('content-security-policy', WEB_CSP).header('cross-origin-opener-policy', DOCS_OPENER_POLICY);
      void reply.header('cache-control', request.url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    });
    await web.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: ['index.html'], cacheControl: false, schemaHide: true });
  });
}

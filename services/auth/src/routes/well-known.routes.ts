import { Type } from 'typebox';
import type { App } from '@realchat/http';
import type { AuthSettings } from '../config.js';
import type { KeyService } from '../services/key.service.js';

const Jwks = Type.Object({ keys: Type.Array(Type.Object({ kid: Type.String(), alg: Type.String(), use: Type.String(), kty: Type.String() }, { additionalProperties: true })) });

export async function wellKnownRoutes(app: App, deps: { keys: KeyService; settings: AuthSettings }): Promise<void> {
  const { keys, settings } = deps;
  const tags = ['discovery'];
  const base = settings.issuer.replace(/\/+$/, '');

  app.get('/.well-known/jwks.json', { config: { auth: 'none' }, schema: { tags, response: { 200: Jwks } } }, async (_request, reply) =>
    reply.header('cache-control', `public, max-age=${keys.jwksMaxAgeSeconds()}`).send(keys.jwks()),
  );

  /*
   * RFC 8414 metadata, listing only what works: no authorization endpoint (no code or implicit
   * flow, so no response type), and no OpenID Connect document: no ID tokens, no userinfo.
   */
  const metadata = {
    issuer: settings.issuer,
    token_endpoint: `${base}/oauth/token`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    response_types_supported: [],
    grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
    // `none`: first-party requests, which name no client.
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint: `${base}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint: `${base}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  };
  app.get('/.well-known/oauth-authorization-server', { config: { auth: 'none' }, schema: { tags } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').send(metadata),
  );
}

export interface SecurityHeaderOptions {
  /** Send `Strict-Transport-Security`: only when clients reach the gateway over TLS. */
  readonly hsts: false | { readonly maxAgeSec: number; readonly includeSubDomains: boolean };
}

/** An API answers JSON: nothing in it may load or frame anything. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** The docs page loads its own scripts, styles and images from the gateway. */
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/**
 * The web app: its own scripts, styles and sockets only. No inline script or style, no plugin, no
 * framing; forms post nowhere but here.
 */
export const WEB_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Isolates the docs page's window from cross-origin openers; only documents have windows, so JSON answers skip it. */
export const DOCS_OPENER_POLICY = 'same-origin';

/** The security headers of every response, computed once. */
export function securityHeaders(options: SecurityHeaderOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {
    'content-security-policy': API_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-site',
  };
  if (options.hsts !== false) {
    headers['strict-transport-security'] = `max-age=${options.hsts.maxAgeSec}${options.hsts.includeSubDomains ? '; includeSubDomains' : ''}`;
  }
  return Object.freeze(headers);
}

const SLASH = 47;
const DOT = 46;
const PERCENT = 37;
const SEMICOLON = 59;
const BACKSLASH = 92;
const QUESTION = 63;
const ABSOLUTE_FORM = /^https?:\/\/[^/?]*/i;
const UNRESERVED = /[A-Za-z0-9._~-]/;

/** True for an origin-form target whose path needs no normalising: no `%`, `;`, `\`, `//` or `/.`. */
function isCanonical(url: string): boolean {
  if (url.charCodeAt(0) !== SLASH) return false;
  for (let i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === QUESTION) return true;
    if (c === PERCENT || c === SEMICOLON || c === BACKSLASH) return false;
    // A `/.` may start a dot segment (or `/.well-known`, which then takes the slow path).
    if ((c === SLASH || c === DOT) && url.charCodeAt(i - 1) === SLASH) return false;
  }
  return true;
}

/** Percent-escapes of unreserved characters decoded (RFC 3986 6.2.2.2), others kept; undefined for a malformed escape. */
function decodeUnreserved(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    if (segment.charCodeAt(i) !== PERCENT) {
      out += segment[i];
      continue;
    }
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    const char = String.fromCharCode(parseInt(hex, 16));
    out += UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/**
 * The one spelling of a request target that the router, the edge checks, the proxy (which
 * forwards it upstream) and the upgrade dispatcher all judge: origin-form (an absolute-form
 * `http://host/x` loses its scheme and authority), `\` read as `/` (as browsers do), `;`
 * parameters dropped from each segment, escapes of unreserved characters decoded (`%69` is `i`;
 * `%2F` stays data, as the services' routers read it), empty and `.` segments removed and `..`
 * resolved. The query is kept as sent. A target that cannot be normalised (another scheme,
 * `*`, a malformed escape) is returned as is, for the edge guard to refuse.
 */
export function normalizeTarget(url: string): string {
  if (isCanonical(url)) return url;
  let target = url;
  if (target.charCodeAt(0) !== SLASH) {
    const authority = ABSOLUTE_FORM.exec(target);
    if (authority === null) return url;
    target = target.slice(authority[0].length);
    if (target.charCodeAt(0) !== SLASH) target = `/${target}`;
  }
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const slashed = path.replaceAll('\\', '/');
  const segments: string[] = [];
  for (const raw of slashed.split('/')) {
    const semicolon = raw.indexOf(';');
    const segment = decodeUnreserved(semicolon === -1 ? raw : raw.slice(0, semicolon));
    if (segment === undefined) return url;
    if (segment === '..') segments.pop();
    else if (segment !== '' && segment !== '.') segments.push(segment);
  }
  // A trailing slash stays: the routers already treat `/x/` as `/x`.
  const trailing = segments.length > 0 && slashed.endsWith('/') ? '/' : '';
  return `/${segments.join('/')}${trailing}${q === -1 ? '' : target.slice(q)}`;
}

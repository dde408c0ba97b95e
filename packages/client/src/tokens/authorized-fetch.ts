import type { Fetch, Session } from './session.js';

/** A 401 that says the token itself was refused (expired, revoked), not e.g. a wrong current password. */
const refusedToken = (response: Response): boolean => response.status === 401 && /error="invalid_token"/.test(response.headers.get('www-authenticate') ?? '');

const withToken = (request: Request, token: string | undefined): Request => {
  if (token === undefined) return request;
  const headers = new Headers(request.headers);
  headers.set('authorization', `Bearer ${token}`);
  return new Request(request, { headers });
};

/**
 * `fetch` with the session's access token: refreshed first when about to expire, and once more
 * (then the call retried once) when the server refuses it.
 */
export function authorizedFetch(session: Session, fetch: Fetch): Fetch {
  return async (request) => {
    // The body can be read once: the retry needs its own copy.
    const retry = request.clone();
    const token = await session.token();
    const response = await fetch(withToken(request, token));
    if (token === undefined || !refusedToken(response)) return response;
    const fresh = await session.refresh(token);
    if (fresh === undefined) return response;
    return fetch(withToken(retry, fresh));
  };
}

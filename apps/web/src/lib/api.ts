import { errorOf, RealChat, RealChatError } from '@realchat/client';

/** The one SDK client of this page: the session, its tokens and live sockets are shared by every screen. */
export const rc = new RealChat();

/** An openapi-fetch result: its data, or the problem it answered as a RealChatError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw await errorOf(response, error);
  return data as T;
}

/** What a person reads for a failure: the server's own detail, else a plain sentence. */
export function messageOf(err: unknown): string {
  if (err instanceof RealChatError) {
    // The title is the sentence; a refused input's detail says what to change.
    if (err.title === undefined) return err.message !== '' ? err.message : `Request failed (${err.code})`;
    const explains = err.status === 400 || err.status === 409 || err.status === 422;
    return explains && err.message !== '' ? `${err.title}: ${err.message}.` : `${err.title}.`;
  }
  if (err instanceof TypeError) return 'The server cannot be reached. Check your connection and try again.';
  return 'Something went wrong. Please try again.';
}

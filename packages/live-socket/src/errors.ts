import { defineErrors } from '@realchat/errors';

/** The codes of `error` frames the socket itself sends (a service's own come from its catalog). */
export const LiveSocketErrors = defineErrors('live-socket', {
  BAD_FRAME: { status: 400, title: 'The frame is not valid', description: 'A socket frame that is not JSON, has an unknown type or wrong fields.' },
  NOT_AUTHENTICATED: { status: 401, title: 'The socket is not authenticated', description: 'A frame arrived before a valid `auth` frame.' },
});

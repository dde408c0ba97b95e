import { SessionStarted } from '@realchat/contracts';
import { defineSource, on } from './source.js';

/** A sign-in from a device the account had not used: the owner hears of it (there is no actor: it may be them). */
export const authSource = defineSource('auth', [
  on(SessionStarted, (s) => (s.newDevice ? [{ recipientId: s.userId, type: 'auth.new_device', actorId: null, target: `/auth/sessions/${s.sessionId}`, preview: s.userAgent }] : [])),
]);

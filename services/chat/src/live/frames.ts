import { Type, type Static } from 'typebox';
import { createFrameParser, frame } from '@realchat/live-socket';

const ConversationId = Type.String({ format: 'uuid' });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** Most conversations one `resume` may name. */
const MAX_RESUME_CURSORS = 1_000;

/** Chat's client → server frames (`auth` and `ping` are the live socket's own). */
const schemas = {
  'message.send': frame('message.send', {
    conversationId: ConversationId,
    clientMsgId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    // The length rule (MESSAGE_TOO_LONG) is messaging's; the endpoint's maxPayload bounds the rest.
    body: Type.String(),
  }),
  typing: frame('typing', { conversationId: ConversationId }),
  read: frame('read', { conversationId: ConversationId, seq: Seq }),
  delivered: frame('delivered', { conversationId: ConversationId, seq: Seq }),
  resume: frame('resume', {
    cursors: Type.Record(Type.String({ pattern: UUID }), Seq, { maxProperties: MAX_RESUME_CURSORS, additionalProperties: false }),
  }),
};

export type ClientFrame = { [K in keyof typeof schemas]: Static<(typeof schemas)[K]> }[keyof typeof schemas];

/** Reads one text frame; a send without `ref` is answered with its clientMsgId as the ref (the brief's protocol). */
export const clientFrames = createFrameParser(schemas, {
  fallbackRef: (record) => (record['type'] === 'message.send' && typeof record['clientMsgId'] === 'string' ? record['clientMsgId'] : undefined),
});

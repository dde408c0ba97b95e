import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

const Ref = Type.Optional(Type.String({ maxLength: 64 }));
const ConversationId = Type.String({ format: 'uuid' });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** Most conversations one `resume` may name. */
const MAX_RESUME_CURSORS = 1_000;

const frame = <T extends string, P extends Record<string, TSchema>>(type: T, properties: P) =>
  Type.Object({ type: Type.Literal(type), ref: Ref, ...properties }, { additionalProperties: false });

/** Client → server frames (ARCHITECTURE.md §8, the brief's protocol decisions). */
const schemas = {
  auth: frame('auth', { token: Type.String({ minLength: 1, maxLength: 8_192 }) }),
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
  ping: frame('ping', {}),
};

export type ClientFrame = { [K in keyof typeof schemas]: Static<(typeof schemas)[K]> }[keyof typeof schemas];

const validators = new Map<string, ReturnType<typeof Compile>>(Object.entries(schemas).map(([type, schema]) => [type, Compile(schema)] as const));

/** A frame parsed, or why not, with the `ref` an `error` should echo (what the client sent, when usable). */
export type ParsedFrame = { readonly ok: true; readonly frame: ClientFrame; readonly ref: string | undefined } | { readonly ok: false; readonly ref: string | undefined };

/** Reads one text frame: JSON, a known `type`, exactly its fields. */
export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, ref: undefined };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, ref: undefined };
  const record = value as Record<string, unknown>;
  const ref = refOf(record);
  const validator = typeof record['type'] === 'string' ? validators.get(record['type']) : undefined;
  if (validator === undefined || !validator.Check(value)) return { ok: false, ref };
  return { ok: true, frame: value as ClientFrame, ref };
}

/** The frame's own `ref`, else for a send its clientMsgId (the brief: the ref defaults to it). */
function refOf(record: Record<string, unknown>): string | undefined {
  const ref = record['ref'];
  if (typeof ref === 'string' && ref.length <= 64) return ref;
  const clientMsgId = record['clientMsgId'];
  if (record['type'] === 'message.send' && typeof clientMsgId === 'string' && clientMsgId.length <= 64) return clientMsgId;
  return undefined;
}

import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { Compile } from 'typebox/compile';

const Ref = Type.Optional(Type.String({ maxLength: 64 }));

/** A client frame's schema: `type`, an optional `ref` the server echoes in an `error`, and exactly `properties`. */
export const frame = <T extends string, P extends TProperties>(type: T, properties: P) =>
  Type.Object({ type: Type.Literal(type), ref: Ref, ...properties }, { additionalProperties: false });

/** The frames every live socket understands (ARCHITECTURE.md §8): the socket handles them itself. */
const baseSchemas = {
  auth: frame('auth', { token: Type.String({ minLength: 1, maxLength: 8_192 }) }),
  ping: frame('ping', {}),
};

export type BaseFrame = { [K in keyof typeof baseSchemas]: Static<(typeof baseSchemas)[K]> }[keyof typeof baseSchemas];

/** A frame parsed, or why not, with the `ref` an `error` should echo (what the client sent, when usable). */
export type ParsedFrame<F> = { readonly ok: true; readonly frame: BaseFrame | F; readonly ref: string | undefined } | { readonly ok: false; readonly ref: string | undefined };

/** Reads one text frame: JSON, a known `type`, exactly its fields. */
export interface FrameParser<F> {
  parse(text: string): ParsedFrame<F>;
}

export interface FrameParserOptions {
  /** The `ref` of a frame without one (chat: a send's clientMsgId). */
  readonly fallbackRef?: (frame: Readonly<Record<string, unknown>>) => string | undefined;
}

/** The parser of a service's client frames (`auth` and `ping` come on top); a service frame may not be named `auth` or `ping`. */
export function createFrameParser<S extends Record<string, TObject>>(schemas: S, options: FrameParserOptions = {}): FrameParser<{ [K in keyof S]: Static<S[K]> }[keyof S]> {
  for (const type of Object.keys(schemas)) if (Object.hasOwn(baseSchemas, type)) throw new TypeError(`the ${type} frame is the socket's own`);
  const validators = new Map<string, ReturnType<typeof Compile>>(Object.entries({ ...schemas, ...baseSchemas }).map(([type, schema]) => [type, Compile(schema)] as const));
  const refOf = (record: Record<string, unknown>): string | undefined => {
    const ref = record['ref'];
    if (typeof ref === 'string' && ref.length <= 64) return ref;
    const fallback = options.fallbackRef?.(record);
    return fallback !== undefined && fallback.length <= 64 ? fallback : undefined;
  };
  return {
    parse(text) {
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
      return { ok: true, frame: value as BaseFrame | { [K in keyof S]: Static<S[K]> }[keyof S], ref };
    },
  };
}

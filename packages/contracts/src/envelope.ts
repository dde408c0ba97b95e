import { Type, type Static, type TSchema } from 'typebox';

/** The envelope every event travels in, on every bus. */
export const EnvelopeSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Type.String({ pattern: '^[a-z]+(\\.[a-z_]+)+$', maxLength: 100 }),
    version: Type.Integer({ minimum: 1 }),
    occurredAt: Type.String({ format: 'date-time' }),
    producer: Type.String({ minLength: 1, maxLength: 100 }),
    data: Type.Unknown(),
  },
  { additionalProperties: false },
);

export type EventEnvelope<TType extends string = string, TData = unknown> = Omit<Static<typeof EnvelopeSchema>, 'type' | 'data'> & {
  readonly type: TType;
  readonly data: TData;
};

/** A versioned event type with the schema of its `data`. */
export interface EventDefinition<TType extends string, TSchemaData extends TSchema> {
  readonly type: TType;
  readonly version: number;
  readonly schema: TSchemaData;
}

export function defineEvent<TType extends string, TSchemaData extends TSchema>(
  type: TType,
  version: number,
  schema: TSchemaData,
): EventDefinition<TType, TSchemaData> {
  return { type, version, schema };
}

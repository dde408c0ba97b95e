import { Type, type TSchema } from 'typebox';

/** Schemas the forum's routes share. */
export const Uuid = Type.String({ format: 'uuid' });
export const Instant = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
export const Author = Type.Object({ id: Uuid, displayName: Type.String({ description: 'Empty for an account that no longer exists.' }) });
/**
 * Every `body` (and title) is plain text, stored as given: a client renders it as text, never as
 * HTML or Markdown. Said on every item, so no client can take it for markup.
 */
export const BodyFormat = Type.Literal('text/plain', { description: 'The format of `body` (and `title`): always plain text, never markup.' });
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });

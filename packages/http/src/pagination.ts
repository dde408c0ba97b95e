import { Type, type Static, type TInteger, type TProperties, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { AppError } from '@realchat/errors';

/** Longest `cursor` a list accepts (longer is 400 VALIDATION_FAILED); a key tuple of a time and a UUID needs about 90. */
export const CURSOR_MAX_LENGTH = 512;

export interface PageQueryOptions {
  /** `limit` when the client sends none (20). */
  readonly defaultLimit?: number;
  /** The cap: a larger `limit` is 400 VALIDATION_FAILED (100). */
  readonly maxLimit?: number;
}

/**
 * The query string of a list: `cursor` (opaque; empty or absent means the first page) and `limit`
 * (integer, default and cap per route), plus the route's own filters in `extra`. Unknown
 * parameters are refused, as unknown body fields are.
 */
export function pageQuery<Extra extends TProperties = Record<never, never>>(options: PageQueryOptions = {}, extra?: Extra) {
  const { defaultLimit = 20, maxLimit = 100 } = options;
  if (!Number.isInteger(maxLimit) || !Number.isInteger(defaultLimit) || defaultLimit < 1 || defaultLimit > maxLimit) {
    throw new RangeError(`pageQuery: need integers 1 <= defaultLimit (${defaultLimit}) <= maxLimit (${maxLimit})`);
  }
  return Type.Object(
    {
      cursor: Type.Optional(Type.String({ maxLength: CURSOR_MAX_LENGTH, description: 'The `nextCursor` of the previous page; absent or empty for the first page.' })),
      // Optional for clients (and the OpenAPI document), always a number for handlers: validation fills in the default.
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: maxLimit, default: defaultLimit, description: `Items per page, at most ${maxLimit}.` })) as unknown as TInteger,
      ...(extra ?? ({} as Extra)),
    },
    { additionalProperties: false },
  );
}

/** `{ items, nextCursor }`: `nextCursor` is null on the last page. */
export function Page<Item extends TSchema>(item: Item) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

export interface PageOf<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/**
 * Turns rows fetched with `limit + 1` into a page: the extra row only says that another page
 * exists; the cursor is the key of the last row kept.
 */
export function toPage<Row>(rows: readonly Row[], limit: number, cursorOf: (last: Row) => string): PageOf<Row>;
export function toPage<Row, Item>(rows: readonly Row[], limit: number, cursorOf: (last: Row) => string, map: (row: Row) => Item): PageOf<Item>;
export function toPage<Row, Item>(rows: readonly Row[], limit: number, cursorOf: (last: Row) => string, map?: (row: Row) => Item): PageOf<Row | Item> {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  const nextCursor = rows.length > limit && last !== undefined ? cursorOf(last) : null;
  return { items: map === undefined ? kept : kept.map(map), nextCursor };
}

const isInstant = (value: string): boolean => {
  const ms = Date.parse(value);
  return ms >= 0 && new Date(ms).toISOString() === value;
};

/**
 * A time in a cursor key: exactly as `Date#toISOString()` writes it, from 1970 on, so it always
 * converts back to the same Date and never reaches SQL as an out-of-range or impossible date.
 */
export const CursorTime = Type.Refine(Type.String({ maxLength: 24 }), isInstant);

/** A UUID in a cursor key, in the canonical form only (the `uuid` format also admits `urn:uuid:`). */
export const CursorId = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });

export interface CursorCodec<Key> {
  /** The key of the last item of a page, as an opaque base64url string. */
  encode(key: Key): string;
  /** The key in a client's cursor; undefined for none (absent or empty). Anything else: 400 INVALID_CURSOR. */
  decode(cursor: string | undefined): Key | undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const invalidCursor = (cause?: unknown): AppError =>
  new AppError('INVALID_CURSOR', 'the cursor is not one this list handed out; start again without it', cause === undefined ? {} : { cause });

/**
 * Cursors for one list: the key tuple of the last item (e.g. `[createdAt, id]`) as base64url
 * JSON. Opaque to clients but not signed: a client can only move its own position in a list it
 * may read, and whatever it sends is checked against `key` before any query sees it.
 */
export function cursorCodec<Key extends TSchema>(key: Key): CursorCodec<Static<Key>> {
  const check = Compile(key);
  return {
    encode: (value) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url'),
    decode(cursor) {
      if (cursor === undefined || cursor === '') return undefined;
      // Buffer skips characters it does not know and ignores stray bits: only a canonical encoding passes.
      if (!BASE64URL.test(cursor)) throw invalidCursor();
      const bytes = Buffer.from(cursor, 'base64url');
      if (bytes.toString('base64url') !== cursor) throw invalidCursor();
      let value: unknown;
      try {
        value = JSON.parse(utf8.decode(bytes));
      } catch (err) {
        throw invalidCursor(err);
      }
      if (!check.Check(value)) throw invalidCursor();
      return value as Static<Key>;
    },
  };
}

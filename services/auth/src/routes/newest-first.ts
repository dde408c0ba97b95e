import { Type } from 'typebox';
import { cursorCodec, CursorId, CursorTime } from '@realchat/http';
import type { KeysetPosition } from '../repositories/keyset.js';

const codec = cursorCodec(Type.Tuple([CursorTime, CursorId]));

/**
 * Cursors of the lists paged newest first by (created_at, id): sessions and users. Times carry
 * milliseconds, which is all these rows have (they are written from the injected clock's Dates).
 */
export const newestFirst = {
  /** Where the page asked for starts; undefined for the first. 400 INVALID_CURSOR for a bad cursor. */
  position(cursor: string | undefined): KeysetPosition | undefined {
    const key = codec.decode(cursor);
    return key === undefined ? undefined : { createdAt: new Date(key[0]), id: key[1] };
  },
  cursorOf(row: { readonly createdAt: Date; readonly id: string }): string {
    return codec.encode([row.createdAt.toISOString(), row.id]);
  },
};

import { v7 } from 'uuid';

/** A new id: UUIDv7, so ids sort by creation time (ARCHITECTURE.md section 8). */
export function newId(): string {
  return v7();
}

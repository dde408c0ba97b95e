/** Where a newest-first page starts: strictly after (older than) this row. */
export interface KeysetPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/**
 * The SQL condition of a newest-first page on (created_at, id), its values pushed onto `params`;
 * empty for the first page. A row comparison, so one index range scan serves it.
 */
export function olderThan(params: unknown[], after: KeysetPosition | undefined): string {
  if (after === undefined) return '';
  return `and (created_at, id) < ($${params.push(after.createdAt)}::timestamptz, $${params.push(after.id)}::uuid)`;
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from '../../lib/api.js';
import type { CursorPage } from './types.js';

export interface CursorList<T> {
  /** null until the first page arrives. */
  readonly items: readonly T[] | null;
  readonly hasMore: boolean;
  readonly loading: boolean;
  readonly error: string | null;
  loadMore(): Promise<void>;
  /** Local changes (a new, edited or deleted item) without a round trip. */
  update(change: (items: readonly T[]) => readonly T[]): void;
}

/**
 * A keyset-paged list: the first page on mount (and whenever `fetchPage` changes), then one page
 * per `loadMore`. Items are kept once by id (a page may repeat what was added locally meanwhile).
 */
export function useCursorList<T extends { readonly id: string }>(fetchPage: (cursor: string | null) => Promise<CursorPage<T>>): CursorList<T> {
  const [items, setItems] = useState<readonly T[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // What async loads read: the newest values, not the render's they started in.
  const run = useRef({ generation: 0, busy: false, loaded: false, next: null as string | null });
  // Changes made before the first page arrived (a live item): applied to it when it does.
  const pending = useRef<Array<(items: readonly T[]) => readonly T[]>>([]);

  const load = useCallback(
    async (first: boolean): Promise<void> => {
      const r = run.current;
      if (!first && (r.busy || r.next === null)) return;
      const generation = first ? ++r.generation : r.generation;
      r.busy = true;
      setLoading(true);
      setError(null);
      try {
        const page = await fetchPage(first ? null : r.next);
        if (generation !== r.generation) return;
        r.next = page.nextCursor;
        setHasMore(page.nextCursor !== null);
        const early = pending.current.splice(0);
        r.loaded = true;
        setItems((prev) => {
          if (first || prev === null) return early.reduce((items, change) => change(items), page.items);
          const known = new Set(prev.map((i) => i.id));
          return [...prev, ...page.items.filter((i) => !known.has(i.id))];
        });
      } catch (err) {
        if (generation === r.generation) setError(messageOf(err));
      } finally {
        if (generation === r.generation) {
          r.busy = false;
          setLoading(false);
        }
      }
    },
    [fetchPage],
  );

  useEffect(() => {
    void load(true);
  }, [load]);

  const loadMore = useCallback(() => load(false), [load]);
  const update = useCallback((change: (items: readonly T[]) => readonly T[]) => {
    if (run.current.loaded) setItems((prev) => (prev === null ? prev : change(prev)));
    else pending.current.push(change);
  }, []);
  return { items, hasMore, loading, error, loadMore, update };
}

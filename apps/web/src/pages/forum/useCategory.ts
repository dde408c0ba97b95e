import { useEffect, useState } from 'react';
import { rc, unwrap } from '../../lib/api.js';
import type { Category } from './types.js';

/** A category by id, from the list (there is no route for one): undefined while looking, null when absent. */
export function useCategory(categoryId: string | null): Category | null | undefined {
  const [category, setCategory] = useState<Category | null | undefined>(undefined);
  useEffect(() => {
    if (categoryId === null) return;
    let active = true;
    const find = async (): Promise<Category | null> => {
      let cursor: string | null = null;
      do {
        const page: { items: Category[]; nextCursor: string | null } = await unwrap(rc.api.GET('/forum/categories', { params: { query: { limit: 100, ...(cursor === null ? {} : { cursor }) } } }));
        const found = page.items.find((c) => c.id === categoryId);
        if (found !== undefined) return found;
        cursor = page.nextCursor;
      } while (cursor !== null);
      return null;
    };
    find()
      .then((c) => active && setCategory(c))
      .catch(() => active && setCategory(null));
    return () => {
      active = false;
    };
  }, [categoryId]);
  return category;
}

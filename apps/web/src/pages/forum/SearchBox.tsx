import { useState, type ReactNode } from 'react';
import { navigate } from '../../app/router.js';

/** The forum's search form: `/forum/search?q=`. */
export function SearchBox({ initial = '' }: { initial?: string }): ReactNode {
  const [q, setQ] = useState(initial);
  return (
    <form
      role="search"
      className="forum-search"
      onSubmit={(e) => {
        e.preventDefault();
        if (q.trim() !== '') navigate(`/forum/search?q=${encodeURIComponent(q.trim())}`);
      }}
    >
      <label htmlFor="forum-search-q" className="visually-hidden">
        Search the forum
      </label>
      <input id="forum-search-q" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Search posts and comments" />
      <button type="submit" className="secondary">
        Search
      </button>
    </form>
  );
}

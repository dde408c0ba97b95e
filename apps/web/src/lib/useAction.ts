import { useCallback, useState, type FormEvent } from 'react';
import { messageOf } from './api.js';

export interface Action<A extends unknown[]> {
  /** Runs the action unless one is under way; a failure becomes `error`, a sentence for people. */
  run(...args: A): Promise<void>;
  readonly busy: boolean;
  readonly error: string | null;
}

/** A user's action on the server (a form's submit, a button): busy while it runs, its failure kept for display. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<void>): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    async (...args: A): Promise<void> => {
      setBusy(true);
      setError(null);
      try {
        await action(...args);
      } catch (err) {
        setError(messageOf(err));
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error };
}

/** A form's submit handler running `action` (the browser's own submission prevented). */
export function submits(action: Action<[]>): (e: FormEvent) => void {
  return (e) => {
    e.preventDefault();
    void action.run();
  };
}

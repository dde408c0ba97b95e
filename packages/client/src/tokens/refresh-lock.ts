import type { LockManagerLike } from '../platform.js';

/**
 * Runs refreshes one at a time among the clients that share it (the tabs of a browser), so two
 * of them never present the same refresh token.
 */
export interface RefreshLock {
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** Exclusive among the clients given this object (one process: Node, tests). */
export function processRefreshLock(): RefreshLock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(task: () => Promise<T>): Promise<T> {
      const result = tail.then(task);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

/** Exclusive among every tab and worker of the origin (the Web Locks API); released if a tab dies holding it. */
export function webLocksRefreshLock(locks: LockManagerLike, name: string): RefreshLock {
  return { run: (task) => locks.request(name, task) };
}

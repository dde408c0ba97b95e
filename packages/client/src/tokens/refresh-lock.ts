import type { Clock } from '../clock.js';
import type { BroadcastChannelConstructor, LockManagerLike } from '../platform.js';

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

/** How long a claimant waits for an objection: BroadcastChannel delivery between tabs takes well under it. */
const SETTLE_MS = 50;
/** A holder that goes silent this long (its tab closed mid-refresh) is presumed gone. */
const LEASE_MS = 10_000;

type LockMessage =
  | { readonly kind: 'claim'; readonly id: string; readonly ticket: number }
  | { readonly kind: 'held'; readonly id: string }
  | { readonly kind: 'release'; readonly id: string };

/**
 * Exclusive among the tabs of an origin without Web Locks, over a BroadcastChannel: a tab claims
 * and waits SETTLE_MS for an objection (a holder answers `held`; of two claimants the lower
 * ticket wins), then announces `held`, renewed while it holds, and `release`. A holder silent for
 * LEASE_MS is presumed gone. Delivery slower than SETTLE_MS could let two tabs through; with the
 * cookie transport that costs a second refresh with the same cookie, which auth's grace window
 * answers with the same successor.
 */
export function broadcastRefreshLock(name: string, Channel: BroadcastChannelConstructor, clock: Clock, random: () => number = Math.random): RefreshLock & { close(): void } {
  const id = `${clock.now().getTime()}-${random()}`;
  const channel = new Channel(name);
  const local = processRefreshLock();
  /** Another tab's hold, as last heard: when it lapses. */
  let heldUntil = 0;
  let claim: { readonly ticket: number; lost: boolean } | undefined;
  let holding = false;
  let wake: (() => void) | undefined;
  const post = (message: LockMessage): void => channel.postMessage(message);
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(), ms);
      wake = () => {
        timer.clear();
        resolve();
      };
    });

  channel.onmessage = (event) => {
    const message = event.data as LockMessage;
    if (message.id === id) return;
    if (message.kind === 'claim') {
      if (holding) post({ kind: 'held', id });
      else if (claim !== undefined && (message.ticket < claim.ticket || (message.ticket === claim.ticket && message.id < id))) claim.lost = true;
    } else if (message.kind === 'held') {
      heldUntil = clock.now().getTime() + LEASE_MS;
      if (claim !== undefined) claim.lost = true;
    } else {
      heldUntil = 0;
      wake?.();
    }
  };

  const acquire = async (): Promise<void> => {
    for (;;) {
      for (let left = heldUntil - clock.now().getTime(); left > 0; left = heldUntil - clock.now().getTime()) await sleep(left);
      claim = { ticket: random(), lost: false };
      post({ kind: 'claim', id, ticket: claim.ticket });
      await new Promise<void>((resolve) => clock.setTimeout(resolve, SETTLE_MS));
      const won = !claim.lost;
      claim = undefined;
      if (won) return;
      // Lost to a claimant that may yet lose to a holder: wait for news, jittered against lockstep.
      heldUntil = Math.max(heldUntil, clock.now().getTime() + SETTLE_MS * (1 + random()));
    }
  };

  return {
    run: (task) =>
      local.run(async () => {
        await acquire();
        holding = true;
        post({ kind: 'held', id });
        let renewal = clock.setTimeout(function renew() {
          post({ kind: 'held', id });
          renewal = clock.setTimeout(renew, LEASE_MS / 2);
        }, LEASE_MS / 2);
        try {
          return await task();
        } finally {
          renewal.clear();
          holding = false;
          post({ kind: 'release', id });
        }
      }),
    close: () => channel.close(),
  };
}

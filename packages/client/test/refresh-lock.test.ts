import { describe, expect, it } from 'vitest';
import { broadcastRefreshLock, processRefreshLock, systemClock, type BroadcastChannelConstructor, type RefreshLock } from '../src/index.js';

const Channel = BroadcastChannel as unknown as BroadcastChannelConstructor;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `perLock` tasks on each lock at once; returns the most that ran together and how many ran. */
async function contend(locks: readonly RefreshLock[], perLock: number): Promise<{ most: number; ran: number }> {
  let active = 0;
  let most = 0;
  let ran = 0;
  const task = async (): Promise<void> => {
    most = Math.max(most, ++active);
    await pause(2);
    active--;
    ran++;
  };
  await Promise.all(locks.flatMap((lock) => Array.from({ length: perLock }, () => lock.run(task))));
  return { most, ran };
}

describe('refresh locks', () => {
  it('processRefreshLock: one task at a time among the clients given it, a failed task releasing it', async () => {
    const lock = processRefreshLock();
    await expect(lock.run(async () => Promise.reject(new Error('refresh failed')))).rejects.toThrow('refresh failed');
    expect(await contend([lock, lock], 10)).toEqual({ most: 1, ran: 20 });
  });

  it('broadcastRefreshLock: one task at a time among tabs (each its own channel), never two holders', async () => {
    const name = `lock-${Date.now()}`;
    const tabs = [broadcastRefreshLock(name, Channel, systemClock), broadcastRefreshLock(name, Channel, systemClock), broadcastRefreshLock(name, Channel, systemClock)];
    try {
      expect(await contend(tabs, 4)).toEqual({ most: 1, ran: 12 });
    } finally {
      for (const tab of tabs) tab.close();
    }
  });
});

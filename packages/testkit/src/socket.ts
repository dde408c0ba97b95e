import { WebSocket } from 'ws';
import { eventually } from './eventually.js';

export type Frame = Record<string, unknown> & { type: string };

/** A WebSocket client that records every frame and can wait for one. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  send(frame: unknown): void;
  /** The first frame after the last one `next` returned matching `predicate`, waiting for it (real time, bounded). */
  next(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves with the close code. */
  closed(): Promise<number>;
  close(): void;
}

export async function openSocket(url: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, { headers });
  const frames: Frame[] = [];
  let closeCode: number | undefined;
  const closeWaiters: Array<(code: number) => void> = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  ws.on('close', (code) => {
    closeCode = code;
    for (const w of closeWaiters) w(code);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let seen = 0;
  return {
    ws,
    frames,
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    async next(predicate, timeoutMs = 5_000) {
      let found: Frame | undefined;
      await eventually(() => {
        const index = frames.findIndex((f, i) => i >= seen && predicate(f));
        if (index === -1) return false;
        found = frames[index];
        seen = index + 1;
        return true;
      }, timeoutMs);
      return found as Frame;
    },
    closed: () => (closeCode !== undefined ? Promise.resolve(closeCode) : new Promise((resolve) => closeWaiters.push(resolve))),
    close: () => ws.close(),
  };
}

/** A socket that has sent `auth` and received `ready`. */
export async function connect(url: string, user: { readonly token: string }): Promise<TestSocket> {
  const socket = await openSocket(url);
  socket.send({ type: 'auth', token: user.token });
  await socket.next((f) => f.type === 'ready');
  return socket;
}

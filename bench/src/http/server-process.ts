import { fork } from 'node:child_process';
import { createServer } from 'node:net';

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  close(): Promise<void>;
}

/**
 * Forks a server entry (`worker`, which sends `{ port }` once it listens and exits when the parent
 * disconnects) with `setup` as its one argument. A server under test runs alone in its process, as
 * in production: sharing one with other servers would mix their JIT feedback in shared code
 * (Fastify, node:http, undici) and slow each of them by a different amount.
 */
export function startServerProcess(worker: URL, setup?: unknown): Promise<ServerProcess> {
  const child = fork(worker, setup === undefined ? [] : [JSON.stringify(setup)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${worker.pathname} exited with ${code}`)));
    child.once('message', (message: { port: number }) =>
      resolve({
        url: `http://127.0.0.1:${message.port}`,
        port: message.port,
        pid: child.pid!,
        close: () =>
          new Promise<void>((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.disconnect();
          }),
      }),
    );
  });
}

/** A port nobody listens on right now (for a server that must be told its port before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

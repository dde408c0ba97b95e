import { fork } from 'node:child_process';

/** What the upstream (and the in-process routes compared with it) answer. */
export const UPSTREAM_BODY = '{"hello":"world","items":[1,2,3]}';

export interface UpstreamProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  close(): Promise<void>;
}

/** Starts the tiny JSON upstream (upstream-worker.ts) in a child process. */
export function startUpstreamProcess(): Promise<UpstreamProcess> {
  const child = fork(new URL('./upstream-worker.ts', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`upstream process exited with ${code}`)));
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

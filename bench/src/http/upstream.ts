import { startServerProcess, type ServerProcess } from './server-process.js';

/** What the upstream (and the in-process routes compared with it) answer. */
export const UPSTREAM_BODY = '{"hello":"world","items":[1,2,3]}';

/** Starts the tiny JSON upstream (upstream-worker.ts) in a child process. */
export function startUpstreamProcess(): Promise<ServerProcess> {
  return startServerProcess(new URL('./upstream-worker.ts', import.meta.url));
}

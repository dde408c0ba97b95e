import { fork } from 'node:child_process';
import type { AutocannonJob, AutocannonSummary, LoadJob, LoadResult, ProbeJob, ProbeSummary } from './load-job.js';

const WORKER = new URL('./load-worker.ts', import.meta.url);

function runInChild(job: LoadJob): Promise<LoadResult> {
  // The child inherits this process's execArgv, i.e. tsx's loader, so it can run TypeScript.
  const child = fork(WORKER, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let result: LoadResult | undefined;
    child.once('message', (message: LoadResult) => (result = message));
    child.once('error', reject);
    child.once('exit', (code) => (result === undefined ? reject(new Error(`load process exited with ${code}`)) : resolve(result)));
    child.send(job);
  });
}

/** Runs autocannon in a separate process. */
export async function autocannonRun(job: Omit<AutocannonJob, 'kind'>): Promise<AutocannonSummary> {
  return (await runInChild({ kind: 'autocannon', ...job })) as AutocannonSummary;
}

/** Runs a latency probe in a separate process. */
export async function probeRun(job: Omit<ProbeJob, 'kind'>): Promise<ProbeSummary> {
  return (await runInChild({ kind: 'probe', ...job })) as ProbeSummary;
}

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

type Job = { readonly op: 'hash'; readonly password: string; readonly cost: number } | { readonly op: 'compare'; readonly password: string; readonly hash: string };
type Reply = { readonly value: string | boolean } | { readonly error: string };

// Plain CommonJS evaluated in the thread: no file to resolve, so it runs the same from the sources
// (tsx, vitest) and from the build. On Linux the nice value is per thread: `setPriority(0, …)`
// lowers this thread only, never the event loop's.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
try { require('node:os').setPriority(0, workerData.nice); } catch {}
parentPort.on('message', (job) => {
  try {
    parentPort.postMessage({ value: job.op === 'hash' ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash) });
  } catch (error) {
    parentPort.postMessage({ error: String(error instanceof Error ? error.message : error) });
  }
});
`;

const BCRYPT_PATH = createRequire(import.meta.url).resolve('bcrypt');

/**
 * bcrypt on threads of its own, at a lower CPU priority than the event loop: libuv's pool (which
 * `bcrypt`'s async calls use) is shared with file and DNS work and runs at the event loop's
 * priority, so a login flood took the CPU from every other request. A caller runs at most one job
 * per thread at a time (PasswordService's queue sees to it). Threads start on first use, keep the
 * process alive only while busy, and a thread that dies is replaced by the next job.
 */
export class BcryptThreads {
  readonly #size: number;
  readonly #nice: number;
  readonly #idle: Worker[] = [];
  #started = 0;

  constructor(options: { size: number; nice: number }) {
    this.#size = options.size;
    this.#nice = options.nice;
  }

  hash(password: string, cost: number): Promise<string> {
    return this.#run({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.#run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  /** Stops every idle thread (a busy one ends its job first, then stops). */
  async close(): Promise<void> {
    const idle = this.#idle.splice(0);
    this.#started -= idle.length;
    await Promise.all(idle.map((worker) => worker.terminate()));
  }

  #take(): Worker {
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#started >= this.#size) throw new Error('BcryptThreads: more jobs than threads at once');
    this.#started += 1;
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { bcrypt: BCRYPT_PATH, nice: this.#nice } });
    worker.unref();
    return worker;
  }

  #run(job: Job): Promise<string | boolean> {
    const worker = this.#take();
    worker.ref();
    return new Promise<string | boolean>((resolve, reject) => {
      const settle = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onFailure);
        worker.off('exit', onFailure);
      };
      const onMessage = (reply: Reply): void => {
        settle();
        worker.unref();
        this.#idle.push(worker);
        if ('error' in reply) reject(new Error(`bcrypt: ${reply.error}`));
        else resolve(reply.value);
      };
      const onFailure = (cause: unknown): void => {
        settle();
        this.#started -= 1;
        void worker.terminate();
        reject(new Error('bcrypt thread stopped', { cause }));
      };
      worker.on('message', onMessage);
      worker.once('error', onFailure);
      worker.once('exit', onFailure);
      worker.postMessage(job);
    });
  }
}

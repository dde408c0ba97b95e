// Child-process entry: runs one load job sent by the parent over IPC and sends back the result.
// The load generator lives in its own process so that, on a 2-core machine, it does not share an
// event loop with the server it measures.
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';
import type { AutocannonJob, AutocannonSummary, JobRequest, LoadJob, LoadResult, ProbeJob, ProbeSample, ProbeSummary } from './load-job.js';

async function runAutocannon(job: AutocannonJob): Promise<AutocannonSummary> {
  const base: autocannon.Request = {
    method: job.request.method,
    path: job.request.path,
    headers: { ...job.request.headers },
    ...(job.request.body === undefined ? {} : { body: job.request.body }),
  };
  let requests: autocannon.Request[] = [base];
  const pool = [...(job.refreshChains ?? [])];
  if (job.refreshChains !== undefined) {
    requests = [
      {
        ...base,
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh_token: pool.shift() ?? 'pool-exhausted' }) }),
        onResponse: (status, body) => {
          if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
        },
      },
    ];
  }
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationSec,
    requests,
    idReplacement: job.idReplacement === true,
  });
  return {
    kind: 'autocannon',
    completed: result.requests.total,
    durationSec: result.duration,
    rps: result.requests.total / result.duration,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(job.refreshChains === undefined ? {} : { chains: pool }),
  };
}

function send(agent: Agent, url: URL, req: JobRequest): Promise<ProbeSample> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string | number> = { ...req.headers };
    if (body !== undefined) headers['content-length'] = body.length;
    const r = request({ agent, hostname: url.hostname, port: url.port, method: req.method, path: req.path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ tag: req.tag ?? 'default', status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

async function runProbe(job: ProbeJob): Promise<ProbeSummary> {
  const url = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const samples: ProbeSample[] = [];
  const pick = (i: number): JobRequest => job.requests[i % job.requests.length]!;
  try {
    if (job.ratePerSec === undefined) {
      for (let i = 0; i < job.count; i++) samples.push(await send(agent, url, pick(i)));
    } else {
      // Open loop: request i leaves at start + i/rate whatever the previous ones did, so a slow
      // server cannot slow the probe down and hide its own latency (coordinated omission).
      const intervalMs = 1000 / job.ratePerSec;
      const start = performance.now();
      const pending: Array<Promise<void>> = [];
      for (let i = 0; i < job.count; i++) {
        const wait = start + i * intervalMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        pending.push(send(agent, url, pick(i)).then((s) => void samples.push(s)));
      }
      await Promise.all(pending);
    }
  } finally {
    agent.destroy();
  }
  return { kind: 'probe', samples };
}

process.once('message', (job: LoadJob) => {
  const run: Promise<LoadResult> = job.kind === 'autocannon' ? runAutocannon(job) : runProbe(job);
  run.then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});

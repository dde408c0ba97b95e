import { parseArgs } from 'node:util';
import { listDeadLetters, requeueDeadLetters } from '@realchat/bus';
import { loadConfigOrExit } from '@realchat/config';
import type { GatewayEnv } from '@realchat/gateway';
import { createLogger } from '@realchat/logging';
import { CommandError, createRuntime, createServiceHost, migrateServices, type AnyServiceDefinition, type Runtime, type RuntimeEnv, type ServiceCommand } from '@realchat/runtime';
import { cliEnvSchema, serviceCommands, usage } from './commands.js';
import { SERVICES } from './services.js';
import { startSystem } from './start.js';

type CliEnv = RuntimeEnv & GatewayEnv & Readonly<Record<string, unknown>>;

const USAGE = usage(SERVICES);

/** Sets the exit code rather than exiting, so `finally` blocks close PGlite and release the data folder. */
function report(err: unknown): void {
  process.stderr.write(`realchat: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
}

function parseCommandLine() {
  try {
    return parseArgs({ allowPositionals: true, options: { scope: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    // An unknown option: one line and the usage, not a stack trace.
    report(err);
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
}
const { positionals, values } = parseCommandLine();
const [command] = positionals;

function fail(message: string): never {
  throw new CommandError(message);
}

if (values.help === true || command === undefined) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(command === undefined && values.help !== true ? 2 : 0);
}

/** The service command the positionals name (its words first), with the remaining arguments. */
function findCommand(): { service: AnyServiceDefinition; command: ServiceCommand; args: string[] } | undefined {
  for (const { service, command: candidate } of serviceCommands(SERVICES)) {
    const words = candidate.name.split(' ');
    if (words.every((word, i) => positionals[i] === word)) return { service, command: candidate, args: positionals.slice(words.length) };
  }
  return undefined;
}

const env = loadConfigOrExit(cliEnvSchema(SERVICES), process.env) as CliEnv;

if (command === 'start') {
  await startSystem(env, SERVICES);
} else {
  await runOnce(env);
}

async function runOnce(env: CliEnv): Promise<void> {
  const serviceCommand = findCommand();
  if (serviceCommand === undefined && command !== 'migrate' && command !== 'outbox') {
    report(new Error(`unknown command "${positionals.join(' ')}"\n${USAGE}`));
    return;
  }
  let runtime: Runtime;
  try {
    // One-shot commands log only warnings: their output is the answer.
    runtime = await createRuntime(env, { name: 'cli', logger: createLogger({ level: 'warn', name: 'cli' }) });
  } catch (err) {
    return report(err);
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    if (serviceCommand !== undefined) {
      // Every service is created (not started): a command may need the token issuer's keys.
      const host = await createServiceHost({ definitions: SERVICES, engines: runtime, env });
      try {
        const hosted = host.services.find((s) => s.definition === serviceCommand.service)!;
        await serviceCommand.command.run(hosted.instance, { args: serviceCommand.args, options: { scope: values.scope ?? [] } }, out);
      } finally {
        await host.stop();
      }
    } else if (command === 'migrate') {
      if (positionals.length > 1) fail(`migrate takes no arguments\n${USAGE}`);
      const applied = await migrateServices(SERVICES, runtime.db, runtime.logger);
      out(applied.length === 0 ? 'migrations: nothing to apply' : `migrations applied: ${applied.join(', ')}`);
    } else {
      await outbox(runtime, out);
    }
  } catch (err) {
    report(err);
  } finally {
    // Nothing calls process.exit: the process ends once these have closed every handle.
    await runtime.close();
  }
}

/** `outbox failed` and `outbox requeue`, over every service that has an outbox. */
async function outbox(runtime: Runtime, out: (line: string) => void): Promise<void> {
  const [, sub, service, which] = positionals;
  const schemas = new Map(SERVICES.filter((s) => s.database !== undefined && (s.publishes?.length ?? 0) > 0).map((s) => [s.name, s.database!.schema] as const));
  // The tables exist only once migrated.
  await migrateServices(SERVICES, runtime.db, runtime.logger);
  if (sub === 'failed' && positionals.length === 2) {
    let count = 0;
    for (const [name, schema] of schemas) {
      for (let page = await listDeadLetters(runtime.db, schema); page.length > 0; page = await listDeadLetters(runtime.db, schema, { afterSeq: page.at(-1)!.seq })) {
        // The error as a JSON string: one line per row, whatever the message holds.
        for (const d of page) out(`${name}  ${d.seq}  ${d.id}  ${d.type}  attempts=${d.attempts}  failed=${d.failedAt.toISOString()}  ${JSON.stringify(d.lastError)}`);
        count += page.length;
      }
    }
    if (count === 0) out('no dead letters');
    return;
  }
  if (sub !== 'requeue') fail(`unknown command "${positionals.join(' ')}"\n${USAGE}`);
  const schema = service === undefined ? undefined : schemas.get(service);
  if (schema === undefined) fail(`outbox requeue needs a service (${[...schemas.keys()].join(', ')}) and a seq or "all"`);
  if (which === undefined || positionals.length > 4 || (which !== 'all' && !/^[1-9][0-9]{0,14}$/.test(which))) fail('outbox requeue needs one seq number (see `outbox failed`) or "all"');
  const requeued = await requeueDeadLetters(runtime.db, schema, which === 'all' ? 'all' : [Number(which)]);
  if (requeued === 0 && which !== 'all') fail(`no dead letter with seq ${which} in the ${service} outbox`);
  out(`${requeued} requeued; the ${service} relay publishes them within its poll interval once running`);
}

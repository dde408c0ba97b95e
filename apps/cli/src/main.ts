import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@realchat/config';
import type { AuthModule } from '@realchat/auth';
import { listDeadLetters, requeueDeadLetters } from '@realchat/bus';
import { createLogger } from '@realchat/logging';
import { createRuntime, type Runtime } from '@realchat/runtime';
import { CliEnvSchema, openAuth, OUTBOX_SCHEMAS, USAGE, type CliEnv } from './commands.js';
import { startSystem } from './start.js';

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
const [command, sub, arg, arg2] = positionals;

/** A command that cannot proceed: reported as one line with exit code 2, after the runtime has closed. */
class CommandError extends Error {}

function fail(message: string): never {
  throw new CommandError(message);
}

if (values.help === true || command === undefined) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(command === undefined && values.help !== true ? 2 : 0);
}

const env: CliEnv = loadConfigOrExit(CliEnvSchema, process.env);

if (command === 'start') {
  await startSystem(env);
} else {
  await runOnce(env);
}

async function runOnce(env: CliEnv): Promise<void> {
  let runtime: Runtime;
  try {
    // One-shot commands log only warnings: their output is the answer.
    runtime = await createRuntime(env, { name: 'cli', logger: createLogger({ level: 'warn', name: 'cli' }) });
  } catch (err) {
    return report(err);
  }
  let auth: AuthModule | undefined;
  try {
    auth = await openAuth(env, runtime);
    await runCommand(auth, runtime, env);
  } catch (err) {
    report(err);
  } finally {
    // Nothing calls process.exit: the process ends once these have closed every handle.
    await auth?.stop().catch(report);
    await runtime.close();
  }
}

async function runCommand(auth: AuthModule, runtime: Runtime, env: CliEnv): Promise<void> {
  switch (`${command} ${sub ?? ''}`.trim()) {
    case 'migrate':
      process.stdout.write('migrations applied\n');
      break;
    case 'keys rotate': {
      const kid = await auth.keys.rotate();
      process.stdout.write(`next signing key ${kid} is published now and signs after AUTH_KEY_PUBLISH_LEAD (${env.AUTH_KEY_PUBLISH_LEAD})\n`);
      break;
    }
    case 'keys list':
      for (const key of auth.jwks().keys) process.stdout.write(`${String(key.kid)}  ${String(key.alg)}\n`);
      break;
    case 'admin grant': {
      if (arg === undefined) fail('admin grant needs an email');
      if (!(await auth.users.grantAdmin(arg))) fail(`no account with email ${arg}: register it first`);
      process.stdout.write(`${arg} is now ADMIN\n`);
      break;
    }
    case 'clients create': {
      if (arg === undefined) fail('clients create needs a name');
      const scopes = values.scope ?? [];
      if (scopes.length === 0) fail('clients create needs at least one --scope (e.g. --scope users:read)');
      const client = await auth.clients.create(arg, scopes);
      process.stdout.write(`client_id=${client.clientId}\nclient_secret=${client.clientSecret}\nscopes=${client.scopes.join(' ')}\n(the secret is shown once; only its hash is stored)\n`);
      break;
    }
    case 'clients list':
      for (const c of await auth.clients.list()) process.stdout.write(`${c.id}  ${c.name}  ${c.scopes.join(' ')}  ${c.createdAt.toISOString()}\n`);
      break;
    case 'clients revoke': {
      if (arg === undefined) fail('clients revoke needs a client id');
      if (!(await auth.clients.revoke(arg))) fail(`no live client ${arg}`);
      process.stdout.write(`${arg} revoked\n`);
      break;
    }
    case 'outbox failed': {
      let count = 0;
      for (const [service, schema] of Object.entries(OUTBOX_SCHEMAS)) {
        for (let page = await listDeadLetters(runtime.db, schema); page.length > 0; page = await listDeadLetters(runtime.db, schema, { afterSeq: page.at(-1)!.seq })) {
          for (const d of page) {
            // The error as a JSON string: one line per row, whatever the message holds.
            process.stdout.write(`${service}  ${d.seq}  ${d.id}  ${d.type}  attempts=${d.attempts}  failed=${d.failedAt.toISOString()}  ${JSON.stringify(d.lastError)}\n`);
          }
          count += page.length;
        }
      }
      if (count === 0) process.stdout.write('no dead letters\n');
      break;
    }
    case 'outbox requeue': {
      const schema = arg !== undefined && Object.hasOwn(OUTBOX_SCHEMAS, arg) ? OUTBOX_SCHEMAS[arg] : undefined;
      if (schema === undefined) fail(`outbox requeue needs a service (${Object.keys(OUTBOX_SCHEMAS).join(', ')}) and a seq or "all"`);
      if (arg2 === undefined || positionals.length > 4 || (arg2 !== 'all' && !/^[1-9][0-9]{0,14}$/.test(arg2))) {
        fail('outbox requeue needs one seq number (see `outbox failed`) or "all"');
      }
      const requeued = await requeueDeadLetters(runtime.db, schema, arg2 === 'all' ? 'all' : [Number(arg2)]);
      if (requeued === 0 && arg2 !== 'all') fail(`no dead letter with seq ${arg2} in the ${arg} outbox`);
      process.stdout.write(`${requeued} requeued; the ${arg} relay publishes them within its poll interval once running\n`);
      break;
    }
    default:
      fail(`unknown command "${positionals.join(' ')}"\n${USAGE}`);
  }
}

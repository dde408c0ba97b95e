import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '@realchat/config';
import type { AuthModule } from '@realchat/auth';
import { createLogger } from '@realchat/logging';
import { createRuntime, type Runtime } from '@realchat/runtime';
import { CliEnvSchema, openAuth, USAGE, type CliEnv } from './commands.js';
import { startSystem } from './start.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { scope: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
});
const [command, sub, arg] = positionals;

/** A command that cannot proceed: reported as one line with exit code 2, after the runtime has closed. */
class CommandError extends Error {}

function fail(message: string): never {
  throw new CommandError(message);
}

/** Sets the exit code rather than exiting, so `finally` blocks close PGlite and release the data folder. */
function report(err: unknown): void {
  process.stderr.write(`realchat: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
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
    await runCommand(auth, env);
  } catch (err) {
    report(err);
  } finally {
    // Nothing calls process.exit: the process ends once these have closed every handle.
    await auth?.stop().catch(report);
    await runtime.close();
  }
}

async function runCommand(auth: AuthModule, env: CliEnv): Promise<void> {
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
    default:
      fail(`unknown command "${positionals.join(' ')}"\n${USAGE}`);
  }
}

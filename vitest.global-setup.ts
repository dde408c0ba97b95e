import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Builds every workspace (and the web app) before the tests, so those that start processes (the CLI, auth and the
 * gateway from their `dist/`) run the current sources. Incremental: a second or two when nothing changed.
 */
export default async function build(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: fileURLToPath(new URL('.', import.meta.url)) });
  } catch (err) {
    const { stdout = '' } = err as { stdout?: string };
    throw new Error(`the build failed (tsc -b tsconfig.build.json):\n${stdout}`, { cause: err });
  }
  // The web app the browser tests load through `realchat start` (a second or two).
  try {
    await promisify(execFile)('npm', ['run', 'build', '-w', '@realchat/web'], { cwd: fileURLToPath(new URL('.', import.meta.url)) });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`the web app's build failed (npm run build -w @realchat/web):\n${stdout}${stderr}`, { cause: err });
  }
}

import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every built workspace follows docs/building.md. TypeScript does not catch a missing reference
 * (it then type-checks the dependency's sources inside the dependent project), nor a workspace
 * left out of tsconfig.build.json (never built), nor exports in an order that skips the sources.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface PackageJson {
  readonly name: string;
  readonly exports?: Readonly<Record<string, unknown>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly scripts?: Readonly<Record<string, string>>;
}

interface TsConfig {
  readonly extends?: string;
  readonly references?: ReadonlyArray<{ readonly path: string }>;
}

async function readTsConfig(file: string): Promise<TsConfig> {
  const { config, error } = ts.parseConfigFileTextToJson(file, await readFile(file, 'utf8'));
  if (error !== undefined) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  return config as TsConfig;
}

const referenced = (config: TsConfig, from: string) => (config.references ?? []).map((r) => resolve(from, r.path)).sort();

// bench is not built: its scripts run through tsx on top of the built workspaces. The web app is
// built by Vite (its `build` script), not by tsc -b: it is no TypeScript project reference either.
const dirs = (
  await Promise.all(['packages', 'services', 'apps'].map(async (group) => (await readdir(join(ROOT, group))).map((name) => join(ROOT, group, name))))
).flat();
const workspaces = (await Promise.all(dirs.map(async (dir) => ({ dir, pkg: JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson })))).filter(
  ({ pkg }) => pkg.scripts?.['build']?.startsWith('vite ') !== true,
);
const dirOf = new Map(workspaces.map(({ dir, pkg }) => [pkg.name, dir]));

describe.each(workspaces.map((w) => [w.pkg.name, w] as const))('workspace %s', (_name, { dir, pkg }) => {
  it('extends tsconfig.workspace.json and references exactly the workspaces it depends on', async () => {
    const config = await readTsConfig(join(dir, 'tsconfig.json'));
    expect(resolve(dir, config.extends ?? '')).toBe(join(ROOT, 'tsconfig.workspace.json'));
    const dependencies = Object.keys(pkg.dependencies ?? {}).flatMap((name) => dirOf.get(name) ?? []);
    expect(referenced(config, dir)).toEqual(dependencies.sort());
  });

  it('is built by tsconfig.build.json', async () => {
    expect(referenced(await readTsConfig(join(ROOT, 'tsconfig.build.json')), ROOT)).toContain(dir);
  });

  it('exports its sources under @realchat/source first, then the built files', () => {
    for (const target of Object.values(pkg.exports ?? {})) {
      const source = (target as Record<string, string>)['@realchat/source'] ?? '';
      const base = /^\.\/src\/(.+)\.ts$/.exec(source)?.[1];
      expect(base, `${JSON.stringify(target)}`).toBeDefined();
      expect(Object.entries(target as Record<string, string>)).toEqual([
        ['@realchat/source', source],
        ['types', `./dist/${base}.d.ts`],
        ['default', `./dist/${base}.js`],
      ]);
    }
  });

  it('starts, if it is a process, from its built entry point', () => {
    const start = pkg.scripts?.['start'];
    if (start !== undefined) expect(start).toMatch(/^node (--[\w-]+ )*dist\/[\w/-]+\.js$/);
  });
});

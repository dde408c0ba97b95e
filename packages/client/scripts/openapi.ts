import openapiTS, { astToString } from 'openapi-typescript';
import type { OpenAPI3 } from 'openapi-typescript';
import { buildEmbeddedSystem, type EmbeddedSystem } from './system.js';

/** The command that rewrites `src/generated/` (quoted by the staleness test). */
export const GENERATE_COMMAND = 'npm run generate -w @realchat/client';

const HEADER = `// Generated from the services' OpenAPI documents by packages/client/scripts/generate.ts: do not edit.\n// Regenerate with \`${GENERATE_COMMAND}\`.\n\n`;

const covered = (path: string, prefixes: readonly string[]): boolean => prefixes.some((p) => path === p || path.startsWith(`${p}/`));

async function documentAt(system: EmbeddedSystem, url: string): Promise<OpenAPI3> {
  const res = await system.gateway.inject({ method: 'GET', url });
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`);
  return res.json<OpenAPI3>();
}

const typesOf = async (doc: OpenAPI3): Promise<string> => HEADER + astToString(await openapiTS(doc, { alphabetize: true }));

const pascal = (name: string): string => name.replace(/(^|[^a-zA-Z0-9])([a-zA-Z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

/**
 * The files of `src/generated/`, by name: one per service (from its own document) and `index.ts`
 * joining their `paths`.
 */
export async function generateSources(): Promise<Map<string, string>> {
  const system = await buildEmbeddedSystem();
  try {
    const files = new Map<string, string>();
    const modules: string[] = [];
    for (const { name } of system.services) {
      files.set(`${name}.ts`, await typesOf(await documentAt(system, `/${name}/openapi.json`)));
      modules.push(name);
    }
    // The gateway's document is the API as clients reach it: each of its routes must be in a service's file.
    const whole = await documentAt(system, '/openapi.json');
    const prefixes = system.services.flatMap((s) => s.prefixes);
    const orphans = Object.keys(whole.paths ?? {}).filter((path) => !covered(path, prefixes));
    if (orphans.length > 0) throw new Error(`routes of /openapi.json under no service's prefix: ${orphans.join(', ')}`);
    const index = [
      ...modules.map((m) => `import type { paths as ${pascal(m)}Paths } from './${m}.js';`),
      '',
      ...modules.map((m) => `export type * as ${m} from './${m}.js';`),
      '',
      '/** Every route of the API as the gateway serves it. */',
      `export type paths = ${modules.map((m) => `${pascal(m)}Paths`).join(' & ')};`,
      '',
    ].join('\n');
    files.set('index.ts', HEADER + index);
    return files;
  } finally {
    await system.close();
  }
}

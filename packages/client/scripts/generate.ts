import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { generateSources } from './openapi.js';

// Writes src/generated/ from scratch (a service gone leaves no file behind).
const dir = new URL('../src/generated/', import.meta.url);
const files = await generateSources();
await mkdir(dir, { recursive: true });
for (const name of await readdir(dir)) if (!files.has(name)) await rm(new URL(name, dir));
for (const [name, contents] of files) await writeFile(new URL(name, dir), contents);
process.stdout.write(`wrote ${[...files.keys()].join(', ')} to packages/client/src/generated/\n`);

import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GENERATE_COMMAND, generateSources } from '../scripts/openapi.js';

describe('generated API types', () => {
  it("match the services' OpenAPI documents (src/generated/ is not stale)", async () => {
    const dir = new URL('../src/generated/', import.meta.url);
    const files = await generateSources();
    const stale = `src/generated/ is stale: run \`${GENERATE_COMMAND}\` and commit the result`;
    expect((await readdir(dir)).sort(), stale).toEqual([...files.keys()].sort());
    for (const [name, contents] of files) expect(await readFile(new URL(name, dir), 'utf8'), `${name}: ${stale}`).toBe(contents);
  });

});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests import the workspaces' TypeScript sources (their `@realchat/source` export), never a stale
  // `dist/`; the rest is Vite's default list for server code, which setting it replaces.
  ssr: { resolve: { conditions: ['@realchat/source', 'module', 'node', 'development|production'] } },
  test: {
    globalSetup: ['vitest.global-setup.ts'],
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll's default of one second is what a browser round trip can take on a loaded CI
    // machine; a poll only waits out its timeout when it is failing anyway.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // Two cores here: more workers only add contention (each PGlite instance is ~300 MB).
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});

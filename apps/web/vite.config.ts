import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // The SDK's TypeScript sources (its `@realchat/source` export), so the app needs no SDK build first.
  resolve: { conditions: ['@realchat/source', 'module', 'browser', 'development|production'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The gateway's CSP allows no inline script: nothing may be inlined as a data: module either.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  server: { proxy: { '^/(auth|chat|forum|notifications|oauth|\\.well-known)': { target: 'http://127.0.0.1:8080', ws: true } } },
});

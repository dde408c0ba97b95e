#!/usr/bin/env node
// Runs the built CLI (`npm install` builds it; `npm run realchat` runs the sources instead).
// Imported only after this line so that stack traces point into the TypeScript sources.
process.setSourceMapsEnabled(true);
await import('../dist/main.js');

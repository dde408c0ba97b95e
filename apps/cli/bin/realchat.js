#!/usr/bin/env node
// Runs the TypeScript entry point through tsx, so `realchat` works from a fresh install without a build.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');

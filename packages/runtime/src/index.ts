export { RuntimeEnvSchema, trustProxyOf, type RuntimeEnv } from './env.js';
export { createRuntime, type Runtime } from './runtime.js';
export { lockDataDir, DataDirInUseError } from './data-dir-lock.js';
export { serve, type RunningServer } from './serve.js';

export { createAnnouncer, type Announcer, type AnnouncerOptions } from './announcer.js';
export { createRegistryWatcher, type RegistryWatcher, type RegistryWatcherOptions, type RegistrySnapshot } from './watcher.js';
export { REGISTRY_PREFIX, RegistrationSchema, registryKey, parseRegistration, type Registration } from './registration.js';

export { notificationsService, type NotificationsModule } from './module.js';
export { NotificationsEnvSchema, type NotificationsEnv } from './config.js';
export { NOTIFICATION_TYPES, type Notification, type NotificationType, type LiveFrame } from './domain/types.js';

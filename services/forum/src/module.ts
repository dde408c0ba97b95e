import { fileURLToPath } from 'node:url';
import { authGuard } from '@realchat/auth-verify';
import type { App } from '@realchat/http';
import { createProfiles, profilesConsumer, profilesMigrations } from '@realchat/profiles';
import { defineService, type ServiceInstance } from '@realchat/runtime';
import { categoriesRoutes } from './categories/categories.routes.js';
import { CategoriesService } from './categories/categories.service.js';
import { commentsRoutes } from './comments/comments.routes.js';
import { CommentsService } from './comments/comments.service.js';
import { ForumEnvSchema } from './config.js';
import { FORUM_SCHEMA } from './context.js';
import { ForumErrors } from './errors.js';
import { FORUM_EVENTS } from './events.js';
import { postsRoutes } from './posts/posts.routes.js';
import { PostsService } from './posts/posts.service.js';
import { searchRoutes } from './search/search.routes.js';

/** Categories, posts, comments and search (REST under /forum). */
export const forumService = defineService({
  name: 'forum',
  prefixes: ['/forum'],
  env: ForumEnvSchema,
  database: { schema: FORUM_SCHEMA, migrations: [profilesMigrations, { name: 'forum', dir: fileURLToPath(new URL('../migrations', import.meta.url)) }] },
  errors: ForumErrors,
  publishes: [...FORUM_EVENTS],
  async create(context): Promise<ServiceInstance> {
    const profiles = createProfiles({ schema: FORUM_SCHEMA, db: context.db, identity: context.identity, clock: context.clock });
    const categories = new CategoriesService(context);
    const posts = new PostsService(context, profiles);
    const comments = new CommentsService(context, profiles);
    return {
      consumers: [profilesConsumer(FORUM_SCHEMA)],
      async register(app) {
        // In its own scope: the guard must not reach the routes of the host or of other services.
        await app.register(async (scope) => {
          const child = scope as unknown as App;
          await child.register(authGuard, { verifier: context.authentication.verifier });
          await categoriesRoutes(child, categories);
          await postsRoutes(child, posts);
          await commentsRoutes(child, comments);
          await searchRoutes(child, context.db, profiles);
        });
      },
    };
  },
});

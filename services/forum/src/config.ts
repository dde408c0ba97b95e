import { Type, type Static } from 'typebox';

/** The forum service's own variables (the runtime's and AUTH_* come on top). */
export const ForumEnvSchema = Type.Object({
  FORUM_POST_MAX_LENGTH: Type.Integer({ minimum: 1, maximum: 100_000, default: 20_000, description: 'Longest post body, in characters (after trimming).' }),
  FORUM_COMMENT_MAX_LENGTH: Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000, description: 'Longest comment body, in characters (after trimming).' }),
});

export type ForumEnv = Static<typeof ForumEnvSchema>;

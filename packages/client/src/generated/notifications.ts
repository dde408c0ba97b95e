// Generated from the services' OpenAPI documents by packages/client/scripts/generate.ts: do not edit.
// Regenerate with `npm run generate -w @realchat/client`.

export interface paths {
    "/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    /** @description The `nextCursor` of the previous page; absent or empty for the first page. */
                    cursor?: string;
                    /** @description Items per page, at most 100. */
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                actor: {
                                    displayName: string | null;
                                    /** Format: uuid */
                                    id: string;
                                } | null;
                                /** @description Events it stands for: chat messages collapse per conversation while unread. */
                                count: number;
                                /** Format: date-time */
                                createdAt: string;
                                /** Format: uuid */
                                id: string;
                                preview: string | null;
                                read: boolean;
                                seq: number;
                                /** @description The path a client opens, e.g. `/forum/posts/<id>#comment-<id>`. */
                                target: string;
                                type: "forum.comment" | "forum.reply" | "forum.mention" | "chat.friend_request" | "chat.friend_accepted" | "chat.message" | "auth.new_device";
                                /** Format: date-time */
                                updatedAt: string;
                            }[];
                            nextCursor: string | null;
                            /** @description Unread notifications in the whole inbox. */
                            unreadCount: number;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/{id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            actor: {
                                displayName: string | null;
                                /** Format: uuid */
                                id: string;
                            } | null;
                            /** @description Events it stands for: chat messages collapse per conversation while unread. */
                            count: number;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: uuid */
                            id: string;
                            preview: string | null;
                            read: boolean;
                            seq: number;
                            /** @description The path a client opens, e.g. `/forum/posts/<id>#comment-<id>`. */
                            target: string;
                            type: "forum.comment" | "forum.reply" | "forum.mention" | "chat.friend_request" | "chat.friend_accepted" | "chat.message" | "auth.new_device";
                            /** Format: date-time */
                            updatedAt: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/preferences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Types that create no notification for this user. */
                            muted: ("forum.comment" | "forum.reply" | "forum.mention" | "chat.friend_request" | "chat.friend_accepted" | "chat.message" | "auth.new_device")[];
                            /** @description Every type there is. */
                            types: ("forum.comment" | "forum.reply" | "forum.mention" | "chat.friend_request" | "chat.friend_accepted" | "chat.message" | "auth.new_device")[];
                        };
                    };
                };
            };
        };
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        muted: ("forum.comment" | "forum.reply" | "forum.mention" | "chat.friend_request" | "chat.friend_accepted" | "chat.message" | "auth.new_device")[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Types that create no notification for this user. */
                            muted: ("forum.comment" | "forum.reply" | "forum.mention" | "chat.friend_request" | "chat.friend_accepted" | "chat.message" | "auth.new_device")[];
                            /** @description Every type there is. */
                            types: ("forum.comment" | "forum.reply" | "forum.mention" | "chat.friend_request" | "chat.friend_accepted" | "chat.message" | "auth.new_device")[];
                        };
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/notifications/read-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            marked: number;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: never;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;

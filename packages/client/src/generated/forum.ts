// Generated from the services' OpenAPI documents by packages/client/scripts/generate.ts: do not edit.
// Regenerate with `npm run generate -w @realchat/client`.

export interface paths {
    "/forum/categories": {
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
                                /** Format: date-time */
                                createdAt: string;
                                description: string;
                                /** Format: uuid */
                                id: string;
                                name: string;
                                /** Format: date-time */
                                updatedAt: string;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Plain text, trimmed; at most 500 characters. */
                        description?: string;
                        /** @description Trimmed; 1 to 60 characters, unique ignoring case. */
                        name: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: date-time */
                            createdAt: string;
                            description: string;
                            /** Format: uuid */
                            id: string;
                            name: string;
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
    "/forum/categories/{id}": {
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
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Plain text, trimmed; at most 500 characters. */
                        description?: string;
                        /** @description Trimmed; 1 to 60 characters, unique ignoring case. */
                        name?: string;
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
                            /** Format: date-time */
                            createdAt: string;
                            description: string;
                            /** Format: uuid */
                            id: string;
                            name: string;
                            /** Format: date-time */
                            updatedAt: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/forum/categories/{id}/posts": {
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
                    /** @description Items per page, at most 50. */
                    limit?: number;
                };
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
                            items: {
                                author: {
                                    /** @description Empty for an account that no longer exists. */
                                    displayName: string;
                                    /** Format: uuid */
                                    id: string;
                                };
                                body: string;
                                /**
                                 * @description The format of `body` (and `title`): always plain text, never markup.
                                 * @enum {string}
                                 */
                                bodyFormat: "text/plain";
                                /** Format: uuid */
                                categoryId: string;
                                /** @description Comments not deleted. */
                                commentCount: number;
                                /** Format: date-time */
                                createdAt: string;
                                editedAt: string | null;
                                /** Format: uuid */
                                id: string;
                                /** Format: date-time */
                                lastActivityAt: string;
                                /** @description A locked post takes no new comments. */
                                locked: boolean;
                                pinned: boolean;
                                title: string;
                            }[];
                            nextCursor: string | null;
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
    "/forum/comments/{id}": {
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
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Plain text, trimmed; 1 to FORUM_COMMENT_MAX_LENGTH characters. Never markup. */
                        body: string;
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
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            /** @description Empty once deleted. */
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: date-time */
                            createdAt: string;
                            deletedAt: string | null;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            parentId: string | null;
                            /** Format: uuid */
                            postId: string;
                            /** @description Position in the post, from 1 (the list order). */
                            seq: number;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/forum/posts": {
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
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Plain text, trimmed; 1 to FORUM_POST_MAX_LENGTH characters. Never markup. */
                        body: string;
                        /** Format: uuid */
                        categoryId: string;
                        /** @description Plain text, trimmed; 1 to 200 characters. */
                        title: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: uuid */
                            categoryId: string;
                            /** @description Comments not deleted. */
                            commentCount: number;
                            /** Format: date-time */
                            createdAt: string;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            /** @description A locked post takes no new comments. */
                            locked: boolean;
                            pinned: boolean;
                            title: string;
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
    "/forum/posts/{id}": {
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
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: uuid */
                            categoryId: string;
                            /** @description Comments not deleted. */
                            commentCount: number;
                            /** Format: date-time */
                            createdAt: string;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            /** @description A locked post takes no new comments. */
                            locked: boolean;
                            pinned: boolean;
                            title: string;
                        };
                    };
                };
            };
        };
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
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Plain text, trimmed; 1 to FORUM_POST_MAX_LENGTH characters. Never markup. */
                        body?: string;
                        /** @description Plain text, trimmed; 1 to 200 characters. */
                        title?: string;
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
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: uuid */
                            categoryId: string;
                            /** @description Comments not deleted. */
                            commentCount: number;
                            /** Format: date-time */
                            createdAt: string;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            /** @description A locked post takes no new comments. */
                            locked: boolean;
                            pinned: boolean;
                            title: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/forum/posts/{id}/comments": {
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
                            items: {
                                author: {
                                    /** @description Empty for an account that no longer exists. */
                                    displayName: string;
                                    /** Format: uuid */
                                    id: string;
                                };
                                /** @description Empty once deleted. */
                                body: string;
                                /**
                                 * @description The format of `body` (and `title`): always plain text, never markup.
                                 * @enum {string}
                                 */
                                bodyFormat: "text/plain";
                                /** Format: date-time */
                                createdAt: string;
                                deletedAt: string | null;
                                editedAt: string | null;
                                /** Format: uuid */
                                id: string;
                                parentId: string | null;
                                /** Format: uuid */
                                postId: string;
                                /** @description Position in the post, from 1 (the list order). */
                                seq: number;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
            };
        };
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
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Plain text, trimmed; 1 to FORUM_COMMENT_MAX_LENGTH characters. Never markup. */
                        body: string;
                        /**
                         * Format: uuid
                         * @description A top-level comment of the same post: replies are one level deep (a reply to a reply is 400 NESTED_REPLY).
                         */
                        parentId?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            /** @description Empty once deleted. */
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: date-time */
                            createdAt: string;
                            deletedAt: string | null;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            parentId: string | null;
                            /** Format: uuid */
                            postId: string;
                            /** @description Position in the post, from 1 (the list order). */
                            seq: number;
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
    "/forum/posts/{id}/lock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put: {
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
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: uuid */
                            categoryId: string;
                            /** @description Comments not deleted. */
                            commentCount: number;
                            /** Format: date-time */
                            createdAt: string;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            /** @description A locked post takes no new comments. */
                            locked: boolean;
                            pinned: boolean;
                            title: string;
                        };
                    };
                };
            };
        };
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
                    content: {
                        "application/json": {
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: uuid */
                            categoryId: string;
                            /** @description Comments not deleted. */
                            commentCount: number;
                            /** Format: date-time */
                            createdAt: string;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            /** @description A locked post takes no new comments. */
                            locked: boolean;
                            pinned: boolean;
                            title: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/forum/posts/{id}/pin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put: {
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
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: uuid */
                            categoryId: string;
                            /** @description Comments not deleted. */
                            commentCount: number;
                            /** Format: date-time */
                            createdAt: string;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            /** @description A locked post takes no new comments. */
                            locked: boolean;
                            pinned: boolean;
                            title: string;
                        };
                    };
                };
            };
        };
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
                    content: {
                        "application/json": {
                            author: {
                                /** @description Empty for an account that no longer exists. */
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                            body: string;
                            /**
                             * @description The format of `body` (and `title`): always plain text, never markup.
                             * @enum {string}
                             */
                            bodyFormat: "text/plain";
                            /** Format: uuid */
                            categoryId: string;
                            /** @description Comments not deleted. */
                            commentCount: number;
                            /** Format: date-time */
                            createdAt: string;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            /** @description A locked post takes no new comments. */
                            locked: boolean;
                            pinned: boolean;
                            title: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/forum/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query: {
                    /** @description The `nextCursor` of the previous page; absent or empty for the first page. */
                    cursor?: string;
                    /** @description Items per page, at most 50. */
                    limit?: number;
                    /** @description Words, "quoted phrases", -excluded (web-search syntax). */
                    q: string;
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
                                author: {
                                    /** @description Empty for an account that no longer exists. */
                                    displayName: string;
                                    /** Format: uuid */
                                    id: string;
                                };
                                /**
                                 * @description The format of `body` (and `title`): always plain text, never markup.
                                 * @enum {string}
                                 */
                                bodyFormat: "text/plain";
                                /** Format: date-time */
                                createdAt: string;
                                /** @description The first 200 characters of the post or comment body. */
                                excerpt: string;
                                /** Format: uuid */
                                id: string;
                                /** Format: uuid */
                                postId: string;
                                postTitle: string;
                                type: "post" | "comment";
                            }[];
                            nextCursor: string | null;
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

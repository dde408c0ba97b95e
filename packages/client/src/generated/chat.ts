// Generated from the services' OpenAPI documents by packages/client/scripts/generate.ts: do not edit.
// Regenerate with `npm run generate -w @realchat/client`.

export interface paths {
    "/chat/blocks": {
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
                                blockedAt: string;
                                displayName: string;
                                /** Format: uuid */
                                id: string;
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
                        /** Format: uuid */
                        userId: string;
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
                            blockedAt: string;
                            displayName: string;
                            /** Format: uuid */
                            id: string;
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
    "/chat/blocks/{userId}": {
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
                    userId: string;
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
    "/chat/conversations": {
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
                            items: ({
                                /** Format: date-time */
                                createdAt: string;
                                /** Format: uuid */
                                createdBy: string;
                                /** Format: uuid */
                                id: string;
                                /** Format: date-time */
                                lastActivityAt: string;
                                lastSeq: number;
                                members: {
                                    /** @description The highest seq any device of this member has received. */
                                    deliveredSeq: number;
                                    displayName: string;
                                    /** Format: uuid */
                                    id: string;
                                    /** @description The highest seq this member has read. */
                                    readSeq: number;
                                    role: "owner" | "member";
                                }[];
                                name: string | null;
                                type: "direct" | "group";
                                /** Format: date-time */
                                updatedAt: string;
                            } & {
                                lastMessage: {
                                    /** @description Empty once deleted. */
                                    body: string;
                                    clientMsgId: string;
                                    /** Format: uuid */
                                    conversationId: string;
                                    /** Format: date-time */
                                    createdAt: string;
                                    deletedAt: string | null;
                                    editedAt: string | null;
                                    /** Format: uuid */
                                    id: string;
                                    reactions: {
                                        count: number;
                                        emoji: string;
                                    }[];
                                    /** Format: uuid */
                                    senderId: string;
                                    seq: number;
                                } | null;
                                unreadCount: number;
                            })[];
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
                        /** @enum {string} */
                        type: "direct";
                        /** Format: uuid */
                        userId: string;
                    } | {
                        memberIds: string[];
                        name: string;
                        /** @enum {string} */
                        type: "group";
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
                            /** Format: uuid */
                            createdBy: string;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            lastSeq: number;
                            members: {
                                /** @description The highest seq any device of this member has received. */
                                deliveredSeq: number;
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                                /** @description The highest seq this member has read. */
                                readSeq: number;
                                role: "owner" | "member";
                            }[];
                            name: string | null;
                            type: "direct" | "group";
                            /** Format: date-time */
                            updatedAt: string;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: uuid */
                            createdBy: string;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            lastSeq: number;
                            members: {
                                /** @description The highest seq any device of this member has received. */
                                deliveredSeq: number;
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                                /** @description The highest seq this member has read. */
                                readSeq: number;
                                role: "owner" | "member";
                            }[];
                            name: string | null;
                            type: "direct" | "group";
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
    "/chat/conversations/{id}": {
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
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: uuid */
                            createdBy: string;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            lastSeq: number;
                            members: {
                                /** @description The highest seq any device of this member has received. */
                                deliveredSeq: number;
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                                /** @description The highest seq this member has read. */
                                readSeq: number;
                                role: "owner" | "member";
                            }[];
                            name: string | null;
                            type: "direct" | "group";
                            /** Format: date-time */
                            updatedAt: string;
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
                        name: string;
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
                            /** Format: uuid */
                            createdBy: string;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            lastSeq: number;
                            members: {
                                /** @description The highest seq any device of this member has received. */
                                deliveredSeq: number;
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                                /** @description The highest seq this member has read. */
                                readSeq: number;
                                role: "owner" | "member";
                            }[];
                            name: string | null;
                            type: "direct" | "group";
                            /** Format: date-time */
                            updatedAt: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/chat/conversations/{id}/members": {
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
            requestBody: {
                content: {
                    "application/json": {
                        userIds: string[];
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
                            /** Format: uuid */
                            createdBy: string;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            lastActivityAt: string;
                            lastSeq: number;
                            members: {
                                /** @description The highest seq any device of this member has received. */
                                deliveredSeq: number;
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                                /** @description The highest seq this member has read. */
                                readSeq: number;
                                role: "owner" | "member";
                            }[];
                            name: string | null;
                            type: "direct" | "group";
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
    "/chat/conversations/{id}/members/{userId}": {
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
                    userId: string;
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
    "/chat/conversations/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    /** @description The oldest messages with a greater seq (not with `before`). */
                    after?: number;
                    /** @description The newest messages with a smaller seq. */
                    before?: number;
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
                                /** @description Empty once deleted. */
                                body: string;
                                clientMsgId: string;
                                /** Format: uuid */
                                conversationId: string;
                                /** Format: date-time */
                                createdAt: string;
                                deletedAt: string | null;
                                editedAt: string | null;
                                /** Format: uuid */
                                id: string;
                                reactions: {
                                    count: number;
                                    emoji: string;
                                }[];
                                /** Format: uuid */
                                senderId: string;
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
                        body: string;
                        clientMsgId: string;
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
                            /** @description Empty once deleted. */
                            body: string;
                            clientMsgId: string;
                            /** Format: uuid */
                            conversationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            deletedAt: string | null;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            reactions: {
                                count: number;
                                emoji: string;
                            }[];
                            /** Format: uuid */
                            senderId: string;
                            seq: number;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Empty once deleted. */
                            body: string;
                            clientMsgId: string;
                            /** Format: uuid */
                            conversationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            deletedAt: string | null;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            reactions: {
                                count: number;
                                emoji: string;
                            }[];
                            /** Format: uuid */
                            senderId: string;
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
    "/chat/friends": {
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
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                                /** Format: date-time */
                                since: string;
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
    "/chat/friends/{userId}": {
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
                    userId: string;
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
    "/chat/friends/requests": {
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
                    /** @description Only these; absent: both, newest first. */
                    direction?: "incoming" | "outgoing";
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
                                direction: "incoming" | "outgoing";
                                /** Format: uuid */
                                id: string;
                                status: "pending" | "accepted";
                                user: {
                                    displayName: string;
                                    /** Format: uuid */
                                    id: string;
                                };
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
                        /** Format: uuid */
                        userId: string;
                    } | {
                        /** Format: email */
                        email: string;
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
                            direction: "incoming" | "outgoing";
                            /** Format: uuid */
                            id: string;
                            status: "pending" | "accepted";
                            user: {
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: date-time */
                            createdAt: string;
                            direction: "incoming" | "outgoing";
                            /** Format: uuid */
                            id: string;
                            status: "pending" | "accepted";
                            user: {
                                displayName: string;
                                /** Format: uuid */
                                id: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            detail: string;
                            /** @enum {string} */
                            status: "received";
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
    "/chat/friends/requests/{id}": {
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
    "/chat/friends/requests/{id}/accept": {
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
                            displayName: string;
                            /** Format: uuid */
                            id: string;
                            /** Format: date-time */
                            since: string;
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
    "/chat/friends/requests/{id}/decline": {
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
                    content?: never;
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/chat/messages/{id}": {
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
                            /** @description Empty once deleted. */
                            body: string;
                            clientMsgId: string;
                            /** Format: uuid */
                            conversationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            deletedAt: string | null;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            reactions: {
                                count: number;
                                emoji: string;
                            }[];
                            /** Format: uuid */
                            senderId: string;
                            seq: number;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/chat/messages/{id}/reactions/{emoji}": {
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
                    emoji: string;
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
                            /** @description Empty once deleted. */
                            body: string;
                            clientMsgId: string;
                            /** Format: uuid */
                            conversationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            deletedAt: string | null;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            reactions: {
                                count: number;
                                emoji: string;
                            }[];
                            /** Format: uuid */
                            senderId: string;
                            seq: number;
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
                    emoji: string;
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
                            /** @description Empty once deleted. */
                            body: string;
                            clientMsgId: string;
                            /** Format: uuid */
                            conversationId: string;
                            /** Format: date-time */
                            createdAt: string;
                            deletedAt: string | null;
                            editedAt: string | null;
                            /** Format: uuid */
                            id: string;
                            reactions: {
                                count: number;
                                emoji: string;
                            }[];
                            /** Format: uuid */
                            senderId: string;
                            seq: number;
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
    "/chat/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query: {
                    conversationId?: string;
                    /** @description The `nextCursor` of the previous page; absent or empty for the first page. */
                    cursor?: string;
                    /** @description Items per page, at most 100. */
                    limit?: number;
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
                                /** @description Empty once deleted. */
                                body: string;
                                clientMsgId: string;
                                /** Format: uuid */
                                conversationId: string;
                                /** Format: date-time */
                                createdAt: string;
                                deletedAt: string | null;
                                editedAt: string | null;
                                /** Format: uuid */
                                id: string;
                                reactions: {
                                    count: number;
                                    emoji: string;
                                }[];
                                /** Format: uuid */
                                senderId: string;
                                seq: number;
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

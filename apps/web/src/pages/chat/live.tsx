import { useEffect, useEffectEvent, useSyncExternalStore } from 'react';
import type { api, ChatLive, ChatLiveEvents } from '@realchat/client';
import { useSession } from '../../app/session.js';

export type ConversationSummary = api.paths['/chat/conversations']['get']['responses'][200]['content']['application/json']['items'][number];
export type Friend = api.paths['/chat/friends']['get']['responses'][200]['content']['application/json']['items'][number];

/** Subscribes to one kind of ChatLive event for the component's life; `handle` always sees the latest render. */
export function useChatEvent<K extends keyof ChatLiveEvents>(type: K, handle: (event: ChatLiveEvents[K]) => void): void {
  const { chat } = useSession();
  const onEvent = useEffectEvent(handle);
  useEffect(() => chat.on(type, (event) => onEvent(event)), [chat, type]);
}

/** Who among the friends is online, for one ChatLive (a new sign-in starts afresh). */
interface PresenceStore {
  readonly online: Map<string, boolean>;
  readonly listeners: Set<() => void>;
  version: number;
}
const stores = new WeakMap<ChatLive, PresenceStore>();

/**
 * The presence store of `chat`, listening from its first call on. The server tells a socket of its
 * online friends after `ready` and of every change afterwards (a new friend, an unfriend or a block
 * included), but never of what changed while the socket was down: the store forgets on a drop and
 * is refilled by the next `ready`.
 */
function presenceOf(chat: ChatLive): PresenceStore {
  const known = stores.get(chat);
  if (known !== undefined) return known;
  const store: PresenceStore = { online: new Map(), listeners: new Set(), version: 0 };
  stores.set(chat, store);
  const changed = (): void => {
    store.version += 1;
    for (const listener of store.listeners) listener();
  };
  chat.on('presence', ({ userId, status }) => {
    store.online.set(userId, status === 'online');
    changed();
  });
  chat.on('state', ({ state }) => {
    if ((state === 'reconnecting' || state === 'closed') && store.online.size > 0) {
      store.online.clear();
      changed();
    }
  });
  return store;
}

/**
 * Chat's listeners for the whole signed-in life of the tab, whatever screen shows (mounted once by
 * the Shell): presence is kept from the socket's first snapshot on, and every message that reaches
 * this tab is marked delivered.
 */
export function ChatBackground(): null {
  const { me, chat } = useSession();
  presenceOf(chat);
  useChatEvent('message.new', ({ message }) => {
    if (message.senderId !== me.id) chat.delivered(message.conversationId, message.seq);
  });
  return null;
}

/** A function telling whether a user is online, re-rendering the caller when presence changes. */
export function usePresence(): (userId: string) => boolean {
  const { chat } = useSession();
  const store = presenceOf(chat);
  useSyncExternalStore(
    (listener) => {
      store.listeners.add(listener);
      return () => store.listeners.delete(listener);
    },
    () => store.version,
  );
  return (userId) => store.online.get(userId) === true;
}

/** A clientMsgId: 128 random bits, as the SDK makes them (kept by the app so a retry reuses it). */
export function newClientMsgId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A conversation's name for people: the group's name, or the other member of a direct one. */
export function titleOf(conversation: { type: 'direct' | 'group'; name: string | null; members: ReadonlyArray<{ id: string; displayName: string }> }, meId: string): string {
  if (conversation.type === 'group') return conversation.name ?? 'Unnamed group';
  return conversation.members.find((m) => m.id !== meId)?.displayName ?? 'Only you';
}

/** The other member of a direct conversation (for presence). */
export function peerOf(conversation: { type: 'direct' | 'group'; members: ReadonlyArray<{ id: string }> }, meId: string): string | undefined {
  return conversation.type === 'direct' ? conversation.members.find((m) => m.id !== meId)?.id : undefined;
}

export const timeOf = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

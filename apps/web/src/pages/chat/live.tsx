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

/**
 * Who among the friends is online. The server tells a socket of its online friends when it connects
 * and of every change afterwards, so the store listens from the first chat screen on, per ChatLive.
 */
const online = new Map<string, boolean>();
const listeners = new Set<() => void>();
const tracked = new WeakSet<ChatLive>();
let version = 0;

function track(chat: ChatLive): void {
  if (tracked.has(chat)) return;
  tracked.add(chat);
  chat.on('presence', ({ userId, status }) => {
    online.set(userId, status === 'online');
    version += 1;
    for (const listener of listeners) listener();
  });
}

/** A function telling whether a user is online, re-rendering the caller when presence changes. */
export function usePresence(): (userId: string) => boolean {
  const { chat } = useSession();
  track(chat);
  useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => version,
  );
  return (userId) => online.get(userId) === true;
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

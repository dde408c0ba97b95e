import { createContext, useContext, type ReactNode } from 'react';
import type { api, ChatLive, NotificationsLive } from '@realchat/client';

export type Me = api.paths['/auth/me']['get']['responses'][200]['content']['application/json'];

export interface SignedIn {
  readonly me: Me;
  /** Replaces the profile shown everywhere (after a display name change). */
  setMe(me: Me): void;
  /** `/chat/ws` for this tab, open while signed in. */
  readonly chat: ChatLive;
  /** `/notifications/ws` for this tab, open while signed in. */
  readonly notifications: NotificationsLive;
  signOut(): Promise<void>;
  signOutEverywhere(): Promise<void>;
}

const SessionContext = createContext<SignedIn | null>(null);

export function SessionProvider({ value, children }: { value: SignedIn; children: ReactNode }): ReactNode {
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The signed-in session; only screens behind sign-in use it. */
export function useSession(): SignedIn {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside a signed-in screen');
  return session;
}

export const isAdmin = (me: Me): boolean => me.roles.includes('ADMIN');

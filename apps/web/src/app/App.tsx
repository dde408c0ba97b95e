import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { rc, unwrap } from '../lib/api.js';
import { SignIn } from '../pages/auth/SignIn.js';
import { SignUp } from '../pages/auth/SignUp.js';
import { navigate, usePath } from './router.js';
import { SessionProvider, type Me, type SignedIn } from './session.js';
import { Shell } from './Shell.js';

type State = { readonly kind: 'loading' } | { readonly kind: 'signed-out'; readonly notice?: string } | { readonly kind: 'signed-in'; readonly me: Me };

/** Restores the session from the refresh cookie on load, then shows sign-in or the app. */
export function App(): ReactNode {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const path = usePath();
  const setMe = useCallback((me: Me) => setState({ kind: 'signed-in', me }), []);

  const enter = useCallback(async (): Promise<void> => {
    const me = await unwrap(rc.api.GET('/auth/me'));
    setState({ kind: 'signed-in', me });
  }, []);

  useEffect(() => {
    let active = true;
    rc.restore()
      .then((restored) => (restored && active ? enter() : setState({ kind: 'signed-out' })))
      .catch(() => active && setState({ kind: 'signed-out' }));
    // Signed out here, in another tab, or everywhere from another device: back to sign-in.
    const off = rc.session.on('signedOut', ({ reason }) => {
      setState({ kind: 'signed-out', ...(reason === 'refresh-refused' ? { notice: 'Your session has ended. Please sign in again.' } : {}) });
      navigate('/sign-in', { replace: true });
    });
    return () => {
      active = false;
      off();
    };
  }, [enter]);

  if (state.kind === 'loading') {
    return (
      <main className="centered" aria-busy="true">
        <p>Loading RealChat…</p>
      </main>
    );
  }
  if (state.kind === 'signed-out') {
    const signedIn = (): Promise<void> => enter().then(() => navigate('/chat', { replace: true }));
    return path === '/sign-up' ? <SignUp onSignedIn={signedIn} /> : <SignIn onSignedIn={signedIn} notice={state.notice} />;
  }
  return <SignedInApp me={state.me} setMe={setMe} />;
}

function SignedInApp({ me, setMe }: { me: Me; setMe: (me: Me) => void }): ReactNode {
  // One socket per endpoint for the tab's signed-in life, opened by an effect so that a remount
  // (StrictMode in development) closes what it opened; they also stop by themselves when the session ends.
  const [live, setLive] = useState<Pick<SignedIn, 'chat' | 'notifications'> | null>(null);
  useEffect(() => {
    const opened = { chat: rc.chatLive(), notifications: rc.notificationsLive() };
    setLive(opened);
    return () => {
      opened.chat.close();
      opened.notifications.close();
    };
  }, []);
  const value: SignedIn | null = useMemo(
    () => (live === null ? null : { me, setMe, ...live, signOut: () => rc.logout(), signOutEverywhere: () => rc.logoutAll() }),
    [me, setMe, live],
  );
  if (value === null) return null;
  return (
    <SessionProvider value={value}>
      <Shell />
    </SessionProvider>
  );
}

import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useSession } from '../app/session.js';
import { navigate } from '../app/router.js';
import { messageOf } from '../lib/api.js';

/** The signed-in user's menu: profile, devices, sign out here or everywhere. */
export function AccountMenu(): ReactNode {
  const { me, signOut, signOutEverywhere } = useSession();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent): void => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);
  const go = (path: string) => () => {
    setOpen(false);
    navigate(path);
  };
  const run = (action: () => Promise<void>) => () => {
    setOpen(false);
    action().catch((err: unknown) => setError(messageOf(err)));
  };
  return (
    <div className="account" ref={root}>
      <button type="button" className="account-button" aria-haspopup="true" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen(!open)}>
        <span className="avatar" aria-hidden="true">
          {me.displayName.slice(0, 1).toUpperCase()}
        </span>
        <span className="account-name">{me.displayName}</span>
      </button>
      {open && (
        <ul id={menuId} className="menu" aria-label="Account">
          <li>
            <button type="button" onClick={go('/account/profile')}>
              Profile
            </button>
          </li>
          <li>
            <button type="button" onClick={go('/account/devices')}>
              Devices
            </button>
          </li>
          <li>
            <button type="button" onClick={run(signOut)}>
              Sign out
            </button>
          </li>
          <li>
            <button type="button" onClick={run(signOutEverywhere)}>
              Sign out everywhere
            </button>
          </li>
        </ul>
      )}
      {error !== null && (
        <p role="alert" className="error floating">
          {error}
        </p>
      )}
    </div>
  );
}

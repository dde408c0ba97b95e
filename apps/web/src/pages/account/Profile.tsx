import { useState, type FormEvent, type ReactNode } from 'react';
import { useSession } from '../../app/session.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc, unwrap } from '../../lib/api.js';

type Status = { readonly kind: 'idle' | 'busy' } | { readonly kind: 'done'; readonly text: string } | { readonly kind: 'failed'; readonly text: string };

function StatusLine({ status }: { status: Status }): ReactNode {
  if (status.kind === 'done') return <p role="status" className="success">{status.text}</p>;
  if (status.kind === 'failed') return <p role="alert" className="error">{status.text}</p>;
  return null;
}

export function Profile(): ReactNode {
  const { me, setMe } = useSession();
  const [displayName, setDisplayName] = useState(me.displayName);
  const [nameStatus, setNameStatus] = useState<Status>({ kind: 'idle' });
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [passwordStatus, setPasswordStatus] = useState<Status>({ kind: 'idle' });

  const saveName = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setNameStatus({ kind: 'busy' });
    try {
      setMe(await unwrap(rc.api.PATCH('/auth/me', { body: { displayName: displayName.trim() } })));
      setNameStatus({ kind: 'done', text: 'Display name saved.' });
    } catch (err) {
      setNameStatus({ kind: 'failed', text: messageOf(err) });
    }
  };
  const changePassword = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setPasswordStatus({ kind: 'busy' });
    try {
      await unwrap(rc.api.POST('/auth/password', { body: { currentPassword, newPassword } }));
      setCurrentPassword('');
      setNewPassword('');
      setPasswordStatus({ kind: 'done', text: 'Password changed. Your other devices are signed out.' });
    } catch (err) {
      setPasswordStatus({ kind: 'failed', text: messageOf(err) });
    }
  };

  return (
    <div className="page narrow">
      <h1>Profile</h1>
      <p className="muted">
        Signed in as <strong>{me.email}</strong>
        {me.roles.includes('ADMIN') ? ' (administrator)' : ''}
      </p>
      <form className="card" onSubmit={(e) => void saveName(e)} aria-labelledby="name-title">
        <h2 id="name-title">Public profile</h2>
        <Field label="Display name" required maxLength={64} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        <StatusLine status={nameStatus} />
        <button type="submit" className="primary" disabled={nameStatus.kind === 'busy' || displayName.trim() === me.displayName}>
          Save
        </button>
      </form>
      <form className="card" onSubmit={(e) => void changePassword(e)} aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <Field label="Current password" type="password" autoComplete="current-password" required value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />
        <Field label="New password" type="password" autoComplete="new-password" required minLength={8} value={newPassword} onChange={(e) => setNewPassword(e.target.value)} hint="At least 8 characters; not a common password." />
        <StatusLine status={passwordStatus} />
        <button type="submit" className="primary" disabled={passwordStatus.kind === 'busy'}>
          Change password
        </button>
      </form>
    </div>
  );
}

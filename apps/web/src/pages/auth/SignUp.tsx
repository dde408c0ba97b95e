import { useState, type ReactNode } from 'react';
import { Link } from '../../app/router.js';
import { Field } from '../../components/Field.js';
import { rc } from '../../lib/api.js';
import { submits, useAction } from '../../lib/useAction.js';

export function SignUp({ onSignedIn }: { onSignedIn: () => Promise<void> }): ReactNode {
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = useAction(async () => {
    await rc.register({ email: email.trim(), password, displayName: displayName.trim() });
    await rc.login({ email: email.trim(), password });
    await onSignedIn();
  });
  return (
    <main className="centered">
      <form className="card auth-form" onSubmit={submits(submit)} aria-labelledby="sign-up-title">
        <h1 id="sign-up-title">Create your account</h1>
        <Field label="Display name" autoComplete="nickname" required maxLength={64} value={displayName} onChange={(e) => setDisplayName(e.target.value)} hint="How others see you in chat and the forum." />
        <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label="Password" type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} hint="At least 8 characters; not a common password." />
        {submit.error !== null && (
          <p role="alert" className="error">
            {submit.error}
          </p>
        )}
        <button type="submit" className="primary" disabled={submit.busy}>
          {submit.busy ? 'Creating your account…' : 'Create account'}
        </button>
        <p>
          Already have an account? <Link to="/sign-in">Sign in</Link>
        </p>
      </form>
    </main>
  );
}

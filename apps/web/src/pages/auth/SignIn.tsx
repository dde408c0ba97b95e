import { useState, type ReactNode } from 'react';
import { Link } from '../../app/router.js';
import { Field } from '../../components/Field.js';
import { rc } from '../../lib/api.js';
import { submits, useAction } from '../../lib/useAction.js';

export function SignIn({ onSignedIn, notice }: { onSignedIn: () => Promise<void>; notice?: string | undefined }): ReactNode {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = useAction(async () => {
    await rc.login({ email: email.trim(), password });
    await onSignedIn();
  });
  return (
    <main className="centered">
      <form className="card auth-form" onSubmit={submits(submit)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to RealChat</h1>
        {notice !== undefined && <p className="notice">{notice}</p>}
        <Field label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {submit.error !== null && (
          <p role="alert" className="error">
            {submit.error}
          </p>
        )}
        <button type="submit" className="primary" disabled={submit.busy}>
          {submit.busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p>
          New here? <Link to="/sign-up">Create an account</Link>
        </p>
      </form>
    </main>
  );
}

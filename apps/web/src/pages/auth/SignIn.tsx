import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from '../../app/router.js';
import { Field } from '../../components/Field.js';
import { messageOf, rc } from '../../lib/api.js';

export function SignIn({ onSignedIn, notice }: { onSignedIn: () => Promise<void>; notice?: string | undefined }): ReactNode {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await rc.login({ email: email.trim(), password });
      await onSignedIn();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <main className="centered">
      <form className="card auth-form" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to RealChat</h1>
        {notice !== undefined && <p className="notice">{notice}</p>}
        <Field label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {error !== null && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p>
          New here? <Link to="/sign-up">Create an account</Link>
        </p>
      </form>
    </main>
  );
}

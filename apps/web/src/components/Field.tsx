import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

/** A labelled input with its hint or error announced to assistive technology. */
export function Field({ label, hint, error, ...input }: { label: string; hint?: string; error?: string | null } & InputHTMLAttributes<HTMLInputElement>): ReactNode {
  const id = useId();
  const describedBy = [hint === undefined ? '' : `${id}-hint`, error === undefined || error === null ? '' : `${id}-error`].filter((s) => s !== '').join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error === undefined || error === null ? undefined : true} aria-describedby={describedBy === '' ? undefined : describedBy} {...input} />
      {hint !== undefined && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {error !== undefined && error !== null && (
        <p id={`${id}-error`} className="error">
          {error}
        </p>
      )}
    </div>
  );
}

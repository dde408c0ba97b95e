import { useEffect, useId, useRef, useState, type ReactNode, type TextareaHTMLAttributes } from 'react';

/** The end of an infinite list: loads the next page when it scrolls into view, or when pressed. */
export function LoadMore({ hasMore, loading, onMore, label }: { hasMore: boolean; loading: boolean; onMore: () => void; label: string }): ReactNode {
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const el = button.current;
    if (el === null || loading || !hasMore || typeof IntersectionObserver === 'undefined') return;
    // A new observer after each load reports at once whether the end is still in view.
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) onMore();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasMore, loading, onMore]);
  if (!hasMore) return null;
  return (
    <p className="load-more">
      <button ref={button} type="button" className="secondary" onClick={onMore} disabled={loading} aria-busy={loading}>
        {loading ? 'Loading…' : label}
      </button>
    </p>
  );
}

/** A labelled multi-line input. */
export function TextArea({ label, ...rest }: { label: string } & TextareaHTMLAttributes<HTMLTextAreaElement>): ReactNode {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea id={id} rows={4} {...rest} />
    </div>
  );
}

export function ErrorLine({ error }: { error: string | null }): ReactNode {
  if (error === null) return null;
  return (
    <p role="alert" className="error">
      {error}
    </p>
  );
}

/** A destructive action asked twice: the first press asks, the second does it. */
export function ConfirmButton({ label, confirmLabel, onConfirm, className = 'link danger-link' }: { label: string; confirmLabel: string; onConfirm: () => void; className?: string }): ReactNode {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const ask = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  // Focus follows the question: to "yes" when asked, back to the action when cancelled.
  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (asked.current) ask.current?.focus();
    asked.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button ref={ask} type="button" className={className} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={label}>
      <button ref={yes} type="button" className="danger" onClick={() => (setAsking(false), onConfirm())}>
        {confirmLabel}
      </button>
      <button type="button" className="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Plain text as written: React escapes it, CSS keeps its line breaks. */
export function Body({ text }: { text: string }): ReactNode {
  return <p className="body">{text}</p>;
}

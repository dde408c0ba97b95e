import { AppError } from '@realchat/errors';

/** Longest preview in events (the contracts' `preview`), in UTF-16 code units. */
export const PREVIEW_LENGTH = 200;

function tooLong(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let n = 0;
  for (const _ of text) if (++n > max) return true;
  return false;
}

/**
 * Trimmed plain text for `field` (a JSON pointer such as `/body`): empty after trimming, or more
 * than `max` characters (code points), is VALIDATION_FAILED. The text is stored as given otherwise:
 * it is never interpreted as markup, and the API marks it `bodyFormat: "text/plain"`.
 */
export function plainText(raw: string, field: string, max: number): string {
  const text = raw.trim();
  if (text === '') throw new AppError('VALIDATION_FAILED', `${field.slice(1)} is empty`, { errors: [{ path: field, message: 'must not be empty or only whitespace' }] });
  if (tooLong(text, max)) throw new AppError('VALIDATION_FAILED', `${field.slice(1)} is too long`, { errors: [{ path: field, message: `must be at most ${max} characters` }] });
  return text;
}

/** The first PREVIEW_LENGTH code units, never cutting a surrogate pair in half. */
export function preview(text: string): string {
  if (text.length <= PREVIEW_LENGTH) return text;
  const cut = text.slice(0, PREVIEW_LENGTH);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

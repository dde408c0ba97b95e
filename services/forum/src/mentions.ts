import type { Profiles } from '@realchat/profiles';

/** Words a mention may span: `@Ada Lovelace` names a user whose display name has a space. */
const MAX_WORDS = 3;
/** Mentions read per text: a text naming more is not a reason to look up without bound. */
const MAX_MENTIONS = 50;
/** Users listed at most: a name many bear must not swell the event past what the bus takes. */
const MAX_USERS = 100;
/** An `@` at the start or after a character that is no letter, digit or `_` (so no email address), and what follows on its line. */
const MENTION = /(?<![\p{L}\p{N}_])@([^\s@][^\n@]*)/gu;
const TRAILING_PUNCTUATION = /[\p{P}]+$/u;

/** The names one `@` may mean, longest first: up to MAX_WORDS words, each as written and without trailing punctuation. */
function candidatesOf(after: string): string[] {
  const words = after.split(/[ \t]+/).filter((w) => w !== '').slice(0, MAX_WORDS);
  const out: string[] = [];
  for (let n = words.length; n >= 1; n--) {
    const name = words.slice(0, n).join(' ');
    out.push(name);
    const bare = name.replace(TRAILING_PUNCTUATION, '');
    if (bare !== name && bare !== '') out.push(bare);
  }
  return out;
}

/**
 * The ids of the users `text` mentions by `@displayName`, matched against the projection ignoring
 * case. A name may have spaces (`@Ada Lovelace`, up to three words): each `@` takes the longest run
 * of the words after it that is someone's display name, trailing punctuation aside (`@Ada,`).
 * Display names are not unique: every user bearing the matched name is mentioned. `exclude` (the
 * author) is never listed. In order of first mention, without repeats, at most MAX_USERS.
 */
export async function resolveMentions(profiles: Profiles, text: string, exclude: string): Promise<string[]> {
  const perMention = [...text.matchAll(MENTION)].slice(0, MAX_MENTIONS).map((m) => candidatesOf(m[1] ?? ''));
  const all = [...new Set(perMention.flat())];
  if (all.length === 0) return [];
  const found = await profiles.findByNames(all);
  const ids = new Set<string>();
  for (const candidates of perMention) {
    const match = candidates.find((c) => found.has(c));
    for (const user of (match === undefined ? undefined : found.get(match)) ?? []) if (user.id !== exclude) ids.add(user.id);
  }
  return [...ids].slice(0, MAX_USERS);
}

// The labels a user gives a run (issue 17): tags, a note, params and what its card captures,
// checked at the boundary with messages that name the value and the fix.
import type { CaptureOptions } from '../../machine/types.ts';
import { RunwardenError } from './errors.ts';

/** A tag: letters, digits and `._:/-`, starting with a letter or digit, at most 64 characters. */
export const tagPattern = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
/** A param name: letters, digits and `._-/`, starting with a letter or `_`, at most 64 characters. */
export const paramNamePattern = /^[A-Za-z_][A-Za-z0-9_./-]{0,63}$/;
/** An environment name pattern for the card: a variable name with `*` wildcards. */
export const envPatternPattern = /^[A-Za-z0-9_*]{1,64}$/;
export const tagsMax = 64;
export const noteCharsMax = 4096;
export const paramValueCharsMax = 1024;

/** The labels of StartOptions (issue 17); every one optional. */
export interface RunMeta {
  /** Labels for `list --tag` (repeat-free; each matches `tagPattern`). */
  readonly tags?: readonly string[];
  /** Free text shown by `show` (at most 4096 characters). */
  readonly note?: string;
  /** Parameters (`--param k=v`), compared as text by `list --param`. */
  readonly params?: Readonly<Record<string, string>>;
  /** Card options: extra environment name patterns, `pip freeze` / `npm ls`. */
  readonly capture?: CaptureOptions;
}

/** A tag checked (RW_USAGE naming it). */
export function checkTag(tag: string, what = '--tag'): string {
  if (!tagPattern.test(tag))
    throw new RunwardenError(
      'RW_USAGE',
      `${what} '${tag}': a tag is letters, digits and . _ : / - (starting with a letter or digit, at most 64)`,
    );
  return tag;
}

/** A note checked (RW_USAGE when too long or holding control characters other than newline/tab). */
export function checkNote(note: string, what = '--note'): string {
  if (note.length > noteCharsMax)
    throw new RunwardenError(
      'RW_USAGE',
      `${what}: the note has ${note.length} characters; keep it to ${noteCharsMax}`,
    );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(note))
    throw new RunwardenError('RW_USAGE', `${what}: the note holds control characters; use plain text`);
  return note;
}

/** `k=v` as a param (RW_USAGE naming the pair when malformed). */
export function paramOf(pair: string): [string, string] {
  const at = pair.indexOf('=');
  const key = at < 0 ? pair : pair.slice(0, at);
  if (at < 0 || !paramNamePattern.test(key))
    throw new RunwardenError(
      'RW_USAGE',
      `--param ${pair}: expected NAME=VALUE, NAME being letters, digits and _ . / - (e.g. --param lr=0.01)`,
    );
  const value = pair.slice(at + 1);
  if (value.length > paramValueCharsMax)
    throw new RunwardenError(
      'RW_USAGE',
      `--param ${key}: the value is longer than ${paramValueCharsMax} characters`,
    );
  return [key, value];
}

/** The checked labels of a start (tags deduplicated in order). */
export function checkedMeta(meta: RunMeta): RunMeta {
  const tags = [...new Set((meta.tags ?? []).map((t) => checkTag(t)))];
  if (tags.length > tagsMax)
    throw new RunwardenError('RW_USAGE', `--tag: ${tags.length} tags; keep it to ${tagsMax}`);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.params ?? {})) {
    const [key, value] = paramOf(`${k}=${v}`);
    params[key] = value;
  }
  for (const pattern of meta.capture?.env ?? [])
    if (!envPatternPattern.test(pattern))
      throw new RunwardenError(
        'RW_USAGE',
        `--card-env '${pattern}': expected a variable name with * wildcards, e.g. WANDB_PROJECT or HF_*`,
      );
  return {
    ...(tags.length > 0 ? { tags } : {}),
    ...(meta.note === undefined ? {} : { note: checkNote(meta.note) }),
    ...(Object.keys(params).length > 0 ? { params } : {}),
    ...(meta.capture === undefined ? {} : { capture: meta.capture }),
  };
}

/** A tag edit: `+best` adds, `-draft` removes, a bare `best` adds. */
export interface TagEdit {
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

/** The edit of `runwarden tag RUN +best -draft` (RW_USAGE for a bad or empty one). */
export function tagEditOf(words: readonly string[]): TagEdit {
  const add: string[] = [];
  const remove: string[] = [];
  for (const word of words) {
    if (word.startsWith('-')) remove.push(checkTag(word.slice(1), 'tag'));
    else add.push(checkTag(word.startsWith('+') ? word.slice(1) : word, 'tag'));
  }
  if (add.length + remove.length === 0)
    throw new RunwardenError(
      'RW_USAGE',
      'no tag given: pass +TAG to add and -TAG to remove (e.g. +best -draft)',
    );
  return { add, remove };
}

/** Tags after an edit: removals first, then additions appended in order (no repeats). */
export function applyTagEdit(tags: readonly string[], edit: TagEdit): string[] {
  const kept = tags.filter((t) => !edit.remove.includes(t));
  for (const t of edit.add) if (!kept.includes(t)) kept.push(t);
  if (kept.length > tagsMax) throw new RunwardenError('RW_USAGE', `a run keeps at most ${tagsMax} tags`);
  return kept;
}

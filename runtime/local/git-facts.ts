// The git facts of a run card (issue 17): commit, branch, remote, dirty state and the uncommitted
// diff of the job's working directory, each git call bounded (runtime/local/bounded-tool.ts).
import { runTool, type ToolAnswer } from './bounded-tool.ts';

/** The code a run ran: the git facts of its working directory. */
export interface GitFacts {
  readonly commit: string;
  readonly branch: string | null;
  /** `origin`'s URL with any user or password taken out; null without one. */
  readonly remote: string | null;
  readonly dirty: boolean;
  /** `git diff HEAD` (tracked changes), at most `diffBytesMax` bytes. */
  readonly diff: string;
  readonly diffTruncated: boolean;
  /** Untracked file names (at most `untrackedMax`). */
  readonly untracked: readonly string[];
}

export const diffBytesMax = 1024 * 1024;
export const untrackedMax = 200;

/** A remote URL without credentials (`https://user:token@host/x` → `https://host/x`). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    // scp-like `git@host:path` carries no password; anything else unparsable is kept as is.
    return url;
  }
}

/** The git facts of `cwd`, or null with a note (not a repository, git missing or hung). */
export async function gitFacts(
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  notes: string[],
  signal?: AbortSignal,
): Promise<GitFacts | null> {
  const gitEnv = { ...env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const git = (args: string[], outputBytesMax = 64 * 1024) =>
    runTool('git', args, { cwd, env: gitEnv, timeoutMs, outputBytesMax, ...(signal ? { signal } : {}) });
  // One rev-parse answers both: the commit, then the branch (`HEAD` when detached).
  const [head, remote, status, diff] = await Promise.all([
    git(['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD']),
    git(['config', '--get', 'remote.origin.url']),
    git(['status', '--porcelain', '--untracked-files=normal']),
    git(['diff', 'HEAD', '--no-color', '--no-ext-diff', '--binary'], diffBytesMax),
  ]);
  if (!head.ok) {
    // Outside a repository git exits 128: that is no news. A missing or hung git is.
    if (head.missing || head.reason.includes('did not answer')) notes.push(`git: ${head.reason}`);
    return null;
  }
  const text = (a: ToolAnswer) => (a.ok ? a.stdout.trim() : '');
  const statusLines = text(status)
    .split('\n')
    .filter((l) => l.length > 0);
  if (!status.ok) notes.push(`git status: ${status.reason}`);
  if (!diff.ok) notes.push(`git diff: ${diff.reason}`);
  const [commit = '', branchName = ''] = text(head).split('\n');
  return {
    commit,
    branch: branchName === '' || branchName === 'HEAD' ? null : branchName,
    remote: text(remote) === '' ? null : withoutCredentials(text(remote)),
    dirty: statusLines.length > 0 || (status.ok && status.truncated),
    diff: diff.ok ? diff.stdout : '',
    diffTruncated: diff.ok && diff.truncated,
    untracked: statusLines
      .filter((l) => l.startsWith('?? '))
      .slice(0, untrackedMax)
      .map((l) => l.slice(3)),
  };
}

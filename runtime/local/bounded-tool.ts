// Run a helper tool (git, pip, npm) for the run card: bounded in time and output, never throwing,
// never outliving its bound (its whole process group is killed), never keeping Node alive.
import { spawn } from 'node:child_process';

/** What a tool printed, or why it printed nothing usable. */
export type ToolAnswer =
  | { readonly ok: true; readonly stdout: string; readonly truncated: boolean; readonly bytes: number }
  | { readonly ok: false; readonly reason: string; readonly missing: boolean };

/** Bounds and place of one tool call. */
export interface ToolOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Output beyond this is dropped (`truncated`), the tool killed: a 5 GiB diff costs 1 MiB. */
  readonly outputBytesMax: number;
  /** Aborting kills the tool at once (a start that failed drops its card). */
  readonly signal?: AbortSignal;
}

/** Kill a process group we started (never pid <= 1), ignoring a group already gone. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined || pid <= 1) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Run `program args` in its own process group with stdin and stderr closed. Resolves at the
 * tool's exit, at `outputBytesMax` bytes of output (then kills it), or at `timeoutMs` (then kills
 * the group: a `git` wrapper that sleeps takes its `sleep` with it).
 */
export function runTool(program: string, args: readonly string[], options: ToolOptions): Promise<ToolAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const chunks: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    const finish = (answer: ToolAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      killGroup(child.pid);
      child.stdout?.destroy();
      child.unref();
      resolve(answer);
    };
    const output = (): ToolAnswer => ({
      ok: true,
      stdout: Buffer.concat(chunks).toString('utf8'),
      truncated,
      bytes,
    });
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          reason: `${program} did not answer within ${options.timeoutMs} ms`,
          missing: false,
        }),
      options.timeoutMs,
    );
    timer.unref();
    const abort = () => finish({ ok: false, reason: `${program}: capture dropped`, missing: false });
    if (options.signal?.aborted === true) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT';
      finish({
        ok: false,
        reason: missing ? `${program} was not found on PATH` : `${program}: ${error.message}`,
        missing,
      });
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      const room = options.outputBytesMax - bytes;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, Math.max(0, room)));
        bytes += Math.max(0, room);
        truncated = true;
        finish(output());
        return;
      }
      chunks.push(chunk);
      bytes += chunk.length;
    });
    child.on('close', (code, signal) => {
      if (code === 0) finish(output());
      else
        finish({
          ok: false,
          reason: `${program} ${args[0] ?? ''} exited with ${code === null ? signal : `code ${code}`}`,
          missing: false,
        });
    });
  });
}

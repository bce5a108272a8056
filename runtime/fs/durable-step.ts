// The numbered crash points of crash tests: every durable step (a create, write, fsync, rename,
// link or unlink of runwarden's state) calls `durableStep` first. RW_CRASH_AT=N makes the process
// SIGKILL itself right before its Nth durable step; RW_CRASH_TRACE=FILE appends `N label` per step
// so a sweep can count them. Both unset (always, outside tests): one integer increment per step.
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';

let steps = 0;
let crashAt: number | null | undefined;

function crashAtOf(): number | null {
  if (crashAt === undefined) {
    const n = Number(process.env.RW_CRASH_AT ?? '');
    crashAt = Number.isSafeInteger(n) && n > 0 ? n : null;
  }
  return crashAt;
}

/**
 * Count one durable step, `op` on `path` (e.g. `rename`, `/ws/active.lock`): die here (SIGKILL,
 * no cleanup) if it is the step RW_CRASH_AT names, and trace it to RW_CRASH_TRACE when set.
 */
export function durableStep(op: string, path: string): void {
  steps += 1;
  const trace = process.env.RW_CRASH_TRACE;
  if (trace !== undefined && trace !== '') {
    // The trace lives outside the workspace (a test's file), so it is written directly.
    appendFileSync(trace, `${steps} ${op} ${basename(path).replace(/[.-](tmp|new)-.*$/, '.$1')}\n`);
  }
  if (steps === crashAtOf()) process.kill(process.pid, 'SIGKILL');
}

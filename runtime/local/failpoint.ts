// Named failpoints for crash tests: RW_FAILPOINT=<name> makes this process SIGKILL itself there.
/** The places a runwarden process can be made to die, in lifecycle order. */
export const failpointNames = [
  'after-lock',
  /** Issue 12: the job is recorded in the lock but not let go yet (it exits notStarted). */
  'before-go',
  'after-spawn',
  'abort-recorded',
  'abort-grace',
  'before-finalize',
] as const;
export type FailpointName = (typeof failpointNames)[number];

/** Die at once (SIGKILL, no cleanup) if RW_FAILPOINT names this point. */
export function failpoint(name: FailpointName): void {
  if (process.env.RW_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}

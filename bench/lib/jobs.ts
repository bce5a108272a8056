// The jobs every tool runs: small sh scripts written into the bench's temp dir, each one
// self-describing (it writes its pid to a file, and CLOCK_MONOTONIC marks via `mono-now`).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One job: an executable script and the files it writes. */
export interface JobSpec {
  /** Unique per tool and workload, [a-z0-9-] (also the pm2/supervisord program name). */
  name: string;
  script: string;
  /** The job writes `$$` here once it is ready (handlers installed). */
  pidFile: string;
  /** The job appends CLOCK_MONOTONIC ns lines here. */
  markFile: string;
  /** SIGINT → SIGKILL grace wherever the tool lets one configure it. */
  graceMs: number;
}

const MONO_C = `#include <stdio.h>
#include <time.h>
int main(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  printf("%lld\\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
  return 0;
}
`;

/** Builds `mono-now` (prints CLOCK_MONOTONIC ns, the clock of process.hrtime) into `dir`. */
export function buildMono(dir: string): string {
  const source = join(dir, 'mono-now.c');
  const binary = join(dir, 'mono-now');
  writeFileSync(source, MONO_C);
  execFileSync('cc', ['-O2', '-o', binary, source]);
  return binary;
}

/** Writes the script `name` in `dir` with `body` (which may use $PIDFILE, $MARK and $MONO). */
export function writeJob(dir: string, mono: string, name: string, body: string, graceMs = 1_000): JobSpec {
  const script = join(dir, `${name}.sh`);
  const pidFile = join(dir, `${name}.pid`);
  const markFile = join(dir, `${name}.mark`);
  const text = `#!/bin/sh\nMONO='${mono}'\nPIDFILE='${pidFile}'\nMARK='${markFile}'\n${body}\n`;
  writeFileSync(script, text);
  chmodSync(script, 0o755);
  return { name, script, pidFile, markFile, graceMs };
}

/** The marks the job wrote so far (ns, CLOCK_MONOTONIC). */
export function marksOf(job: JobSpec): bigint[] {
  if (!existsSync(job.markFile)) return [];
  return readFileSync(job.markFile, 'utf8')
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map((l) => BigInt(l));
}

/** The pid the job wrote once ready, or null. */
export function pidOf(job: JobSpec): number | null {
  try {
    const pid = Number(readFileSync(job.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

/** Removes the pid file of a previous start, so the next pid read is this start's. */
export function clearPid(job: JobSpec): void {
  rmSync(job.pidFile, { force: true });
}

/** Job bodies shared by the workloads. */
export const bodies = {
  /** W1: the first instruction writes the time. */
  firstMark: '"$MONO" >> "$MARK"',
  /** W3: 0.2 s of work, then the last instruction writes the time. */
  lastMark: 'sleep 0.2\nexec "$MONO" >> "$MARK"',
  /** W2/W6: a job that sleeps until stopped. */
  sleeper: 'echo $$ > "$PIDFILE"\nexec sleep 600',
  /** W4: a grandchild, then exits 0.3 s after SIGINT or SIGTERM. */
  trapsSignal: `sleep 1000 &\ntrap 'sleep 0.3; exit 0' INT TERM\necho $$ > "$PIDFILE"\nwait\nwait`,
  /** W4: a grandchild, and ignores SIGINT and SIGTERM. */
  ignoresSignals: `trap '' INT TERM\nsleep 1000 &\necho $$ > "$PIDFILE"\nwhile :; do sleep 1; done`,
  /** W5: `mib` MiB of zeros to stdout between two marks. */
  writes: (mib: number) =>
    `"$MONO" >> "$MARK"\ndd if=/dev/zero bs=1M count=${mib} status=none\n"$MONO" >> "$MARK"`,
};

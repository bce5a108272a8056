// The adapter every compared tool implements, so each workload drives runwarden, the plain
// baseline and the peers the same way, one command as a user would type it per step.
import type { Command } from '../lib/command.ts';
import type { JobSpec } from '../lib/jobs.ts';
import type { Role } from '../lib/table.ts';

/** What an adapter gets: its private temp dir, the repo root, and its environment tag. */
export interface PeerContext {
  dir: string;
  root: string;
  /** Base environment, with the tag (TAG_VAR) that marks every process this tool starts. */
  env: NodeJS.ProcessEnv;
  /** The tag value (`<run>:<tool>`). */
  tag: string;
}

/** One tool under measurement. Every method is bounded in time. */
export interface Peer {
  readonly name: string;
  readonly role: Role;
  /** Prepares private state (daemons included); resolves to a reason to skip, or null. */
  setup(): Promise<string | null>;
  /** Makes `job` known without starting it (untimed; supervisord needs a program section). */
  define(job: JobSpec): Promise<void>;
  /** Runs the tool's start command for `job`; resolves when that command returns. */
  start(job: JobSpec): Promise<void>;
  /** The tool's status command (a whole process). */
  statusCommand(job: JobSpec): Command;
  /** Resolves with the monotonic ns at which the tool reported `job` exited (null: timed out). */
  waitExited(job: JobSpec, timeoutMs: number): Promise<bigint | null>;
  /** Runs the tool's stop command for `job` (SIGINT, SIGKILL after the grace where it can). */
  stop(job: JobSpec): Promise<void>;
  /** Forgets an ended `job` and removes its logs (untimed). */
  reset(job: JobSpec): Promise<void>;
  /** Ends the tool's daemons by PID; resolves with the pids it had to SIGKILL. */
  teardown(): Promise<number[]>;
}

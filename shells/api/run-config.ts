// The immutable config of a new run, from what a caller asked for, with the defaults filled in.
import { resolve } from 'node:path';
import type { RestartPolicy, RetentionPolicy, RunConfig } from '../../machine/types.ts';
import { checkpointSignalOf } from '../../runtime/local/checkpoint-control.ts';
import { logMaxBytesMin } from '../../runtime/local/log-cap-layout.ts';
import { sampleEveryMsMin } from '../../runtime/local/resource-files.ts';
import { RunwardenError } from './errors.ts';
import { newRunId } from './run-id.ts';
import { checkedMeta } from './run-meta.ts';
import type { StartOptions } from './workspace.ts';

/**
 * Keep every run's directory, whatever its outcome (issue 14: an aborted run's interrupt
 * checkpoint and logs are what a user aborts for). Deleting is explicit: `runwarden prune`, or
 * a per-run `retention` the caller sets.
 */
export const defaultRetention: RetentionPolicy = {
  finished: 'keep',
  failed: 'keep',
  aborted: 'keep',
  orphaned: 'keep',
};
/** SIGINT-to-SIGKILL grace of an abort when a run was started without one (ms). */
export const defaultGraceMs = 30_000;

const baseName = (program: string) => program.split('/').filter(Boolean).at(-1) ?? 'run';

/**
 * The variables runwarden adds to a job's environment unless the caller set them (in `env` or
 * its own environment): `PYTHONUNBUFFERED=1`, so a Python job's stdout reaches its log as it
 * prints (block-buffered, a loss printed every step shows up kilobytes later).
 */
export function defaultJobEnv(
  env: Readonly<Record<string, string>>,
  callerEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const added: Record<string, string> = {};
  if (env.PYTHONUNBUFFERED === undefined && callerEnv.PYTHONUNBUFFERED === undefined)
    added.PYTHONUNBUFFERED = '1';
  return { ...added, ...env };
}

/** The immutable config of a new run; RW_USAGE without a program. */
export function runConfigOf(options: StartOptions): RunConfig {
  const program = options.argv[0];
  if (program === undefined || program === '') {
    throw new RunwardenError('RW_USAGE', 'no command given: pass the program and its arguments after --');
  }
  const withNul = options.argv.findIndex((arg) => arg.includes('\0'));
  if (withNul >= 0) {
    throw new RunwardenError('RW_USAGE', `argument ${withNul} of the command contains a NUL byte; remove it`);
  }
  const name = options.name ?? baseName(program).replace(/[^A-Za-z0-9._-]/g, '_');
  return {
    runId: newRunId(name, Date.now()),
    name,
    argv: [...options.argv],
    cwd: resolve(options.cwd ?? process.cwd()),
    env: defaultJobEnv(options.env ?? {}),
    graceMs: options.graceMs ?? defaultGraceMs,
    stallAfterMs: options.stallAfterMs ?? null,
    abortOnStall: options.abortOnStall ?? false,
    retention: { ...defaultRetention, ...options.retention },
    // Issue 17: tags, note, params and card options, checked.
    ...checkedMeta(options),
    ...resourceOptionsOf(options),
    ...checkpointConfigOf(options),
    ...(options.lineage === undefined ? {} : { lineage: options.lineage }),
    ...(options.retries === undefined ? {} : { retries: restartPolicyOf(options.retries) }),
  };
}

/** Issue 17: the log cap and the sampling period, checked (RW_USAGE naming the option). */
function resourceOptionsOf(options: StartOptions): Pick<RunConfig, 'logMaxBytes' | 'sampleEveryMs'> {
  const { logMaxBytes, sampleEveryMs } = options;
  if (logMaxBytes !== undefined && (!Number.isSafeInteger(logMaxBytes) || logMaxBytes < logMaxBytesMin)) {
    throw new RunwardenError(
      'RW_USAGE',
      `--log-max ${logMaxBytes}: a log cap must be a whole number of bytes of at least 64K; pass e.g. --log-max 1G`,
    );
  }
  if (
    sampleEveryMs !== undefined &&
    sampleEveryMs !== null &&
    (!Number.isFinite(sampleEveryMs) || sampleEveryMs < sampleEveryMsMin)
  ) {
    throw new RunwardenError(
      'RW_USAGE',
      `--sample-every ${sampleEveryMs}ms: sampling needs a period of at least 100ms; pass e.g. --sample-every 10s or --no-sample`,
    );
  }
  return {
    ...(logMaxBytes === undefined ? {} : { logMaxBytes }),
    ...(sampleEveryMs === undefined ? {} : { sampleEveryMs }),
  };
}

/** Issue 14: a restart policy, validated (RW_USAGE naming the option). */
function restartPolicyOf(policy: RestartPolicy): RestartPolicy {
  if (!Number.isSafeInteger(policy.max) || policy.max < 0 || policy.max > 1_000)
    throw new RunwardenError(
      'RW_USAGE',
      `--retries must be a whole number from 0 to 1000, got ${policy.max}`,
    );
  const bad = policy.onExit.find((code) => !Number.isSafeInteger(code) || code < 1 || code > 255);
  if (bad !== undefined)
    throw new RunwardenError('RW_USAGE', `--retry-on-exit codes must be 1..255, got ${bad}`);
  if (!Number.isFinite(policy.backoffMs) || policy.backoffMs < 0)
    throw new RunwardenError('RW_USAGE', `--retry-backoff must be a duration, got ${policy.backoffMs} ms`);
  return { ...policy, onExit: [...policy.onExit] };
}

/** Issue 14: the checkpoint signal and time limit of a new run, validated (RW_USAGE naming the option). */
function checkpointConfigOf(options: StartOptions): Partial<RunConfig> {
  const out: { checkpointSignal?: string; timeLimitMs?: number; checkpointBeforeMs?: number } = {};
  if (options.checkpointSignal !== undefined) {
    const signal = checkpointSignalOf(options.checkpointSignal);
    if (!signal.ok) throw RunwardenError.of(signal.error);
    out.checkpointSignal = signal.value;
  }
  const limit = options.timeLimitMs;
  const before = options.checkpointBeforeMs;
  if (limit !== undefined) {
    if (!Number.isFinite(limit) || limit <= 0)
      throw new RunwardenError('RW_USAGE', `--time-limit must be a positive duration, got ${limit} ms`);
    out.timeLimitMs = limit;
  }
  if (before !== undefined) {
    if (limit === undefined)
      throw new RunwardenError(
        'RW_USAGE',
        '--checkpoint-before needs --time-limit: pass e.g. --time-limit 4h --checkpoint-before 5m',
      );
    if (!Number.isFinite(before) || before <= 0 || before >= limit)
      throw new RunwardenError(
        'RW_USAGE',
        `--checkpoint-before must be positive and shorter than --time-limit (${limit} ms), got ${before} ms`,
      );
    out.checkpointBeforeMs = before;
  }
  return out;
}

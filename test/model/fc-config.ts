// How many random histories to run and how to replay one: RW_FC_RUNS, RW_FC_SEED, RW_FC_PATH.
import type fc from 'fast-check';

/** fast-check parameters from the environment: deep passes and exact replays of a failure. */
export function fcParams(defaultRuns: number): fc.Parameters<unknown> {
  const runs = Number(process.env.RW_FC_RUNS ?? defaultRuns);
  const seed = process.env.RW_FC_SEED === undefined ? undefined : Number(process.env.RW_FC_SEED);
  const path = process.env.RW_FC_PATH;
  return {
    numRuns: runs,
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined ? {} : { path }),
    endOnFailure: false,
    verbose: 1,
  };
}

/** A test timeout that grows with RW_FC_RUNS, so deep passes are not cut short. */
export function fcTimeoutMs(defaultRuns: number, msPerRun = 10): number {
  return 60_000 + Number(process.env.RW_FC_RUNS ?? defaultRuns) * msPerRun;
}

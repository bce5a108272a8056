// Ask nvidia-smi for CSV rows: bounded in time, never throwing. The one way runwarden reads GPUs
// (slots --gpus, the run card, resource sampling), so a missing or hung tool is handled once.
import { execFile } from 'node:child_process';

/** Rows of `nvidia-smi … --format=csv,noheader,nounits`, or why there are none. */
export type NvidiaSmiAnswer =
  | { readonly ok: true; readonly rows: readonly (readonly string[])[] }
  | { readonly ok: false; readonly reason: string };

/** Default bound: a wedged driver makes nvidia-smi hang for tens of seconds. */
export const nvidiaSmiTimeoutMs = 5_000;

/**
 * Run `nvidia-smi --query-<what>=<fields> --format=csv,noheader,nounits` (found on PATH) and
 * split its CSV. `what` is `gpu` or `compute-apps`.
 */
export function queryNvidiaSmi(
  what: 'gpu' | 'compute-apps',
  fields: readonly string[],
  timeoutMs = nvidiaSmiTimeoutMs,
): Promise<NvidiaSmiAnswer> {
  const args = [`--query-${what}=${fields.join(',')}`, '--format=csv,noheader,nounits'];
  return new Promise((resolve) => {
    execFile('nvidia-smi', args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout) => {
      if (error !== null) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason =
          code === 'ENOENT'
            ? 'nvidia-smi was not found on PATH'
            : error.killed
              ? `nvidia-smi did not answer within ${timeoutMs} ms`
              : `nvidia-smi failed: ${String(error.message).split('\n')[0]}`;
        resolve({ ok: false, reason });
        return;
      }
      resolve({ ok: true, rows: csvRows(stdout) });
    });
  });
}

/** nvidia-smi's CSV: one record per line, fields separated by ", " (values never hold commas). */
export function csvRows(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => line.split(',').map((field) => field.trim()));
}

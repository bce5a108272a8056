// Reading the done and error events of the machine's actors: every port answers with a
// `Result`, and a rejected promise is an unexpected error; both become data here.
import type { ErrorInfo } from './types.ts';

/** True when a done event carries a successful `Result`. */
export function outputOk(event: { type: string }): boolean {
  if (!('output' in event)) return false;
  const out = event.output;
  return typeof out === 'object' && out !== null && 'ok' in out && out.ok === true;
}

/** The error inside a failed `Result` or a rejected promise, as data. */
export function errorOf(event: { type: string }, code: string): ErrorInfo {
  if ('output' in event) {
    const out = event.output;
    if (typeof out === 'object' && out !== null && 'error' in out) return out.error as ErrorInfo;
  }
  const cause = 'error' in event ? event.error : undefined;
  return { code, message: cause instanceof Error ? cause.message : String(cause) };
}

/** The value inside a successful `Result` of a done event (the guard `resultOk` ran first). */
export function okValue<T>(event: { type: string }): T {
  if (!outputOk(event) || !('output' in event)) throw new Error('runwarden machine: expected an ok result');
  return (event.output as { value: T }).value;
}

/** `value`, asserting it is present in this state (a programmer error otherwise). */
export function need<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`runwarden machine invariant: ${what} is null here`);
  return value;
}

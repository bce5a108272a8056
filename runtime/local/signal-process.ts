// Signalling a single process (a monitor) only while its identity still matches.
import type { Result } from '../../machine/ports.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { type LocalIdentity, probe } from './identity.ts';

/** Send `signal` to the process `identity` names if it is still that process; 'gone' otherwise. */
export function signalIfSame(identity: LocalIdentity, signal: NodeJS.Signals): Result<'sent' | 'gone'> {
  if (identity.pid <= 1) throw new RangeError(`refusing to signal pid ${identity.pid}`);
  const liveness = probe(identity);
  if (liveness.state === 'gone') return success('gone');
  if (liveness.state === 'foreign')
    return failure('RW_FOREIGN_PROCESS', `signalling pid ${identity.pid}: ${liveness.detail}`);
  try {
    process.kill(identity.pid, signal);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ESRCH') return success('gone');
    return failure('RW_SIGNAL_FAILED', `sending ${signal} to pid ${identity.pid}: ${errno}`);
  }
  return success('sent');
}

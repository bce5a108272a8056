// The identity of this runwarden process, as recorded in locks and claim names.
import type { OwnerHandle } from '../../machine/types.ts';
import { bootId, identityOf, type LocalIdentity } from './identity.ts';

let self: LocalIdentity | null = null;

/** This process's own identity (pid + start time + boot id), read once. */
export function selfIdentity(): LocalIdentity {
  if (self === null) {
    const identity = identityOf(process.pid);
    if (identity === null) throw new Error(`runwarden: cannot read /proc/${process.pid}/stat`);
    self = identity;
  }
  return self;
}

/** This process as a lock owner. */
export function selfOwner(): OwnerHandle {
  return { ...selfIdentity() };
}

/** A local identity from a handle found on disk, or null when it is not a local one. */
export function localIdentityOf(handle: Readonly<Record<string, unknown>>): LocalIdentity | null {
  const { kind, pid, startTime, bootId: boot } = handle;
  if (
    kind !== 'local' ||
    typeof pid !== 'number' ||
    typeof startTime !== 'number' ||
    typeof boot !== 'string'
  ) {
    return null;
  }
  return { kind: 'local', pid, startTime, bootId: boot };
}

/** The current boot's id (re-exported for callers that build identities). */
export { bootId };

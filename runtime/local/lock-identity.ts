// Validating the identities a lock (or its run directory's copy) records, when it is read: a pid
// of 0, -1, 1.5 or "12" makes the lock invalid (handled as corrupt), never a crash later.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Why `value` is not an integer of at least `min`, or null when it is. */
function integerProblem(field: string, value: unknown, min: number): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return null;
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${field} must be an integer of at least ${min}, got ${shown}`;
}

/** Why a local process handle is invalid (`pidMin`: 1 for an owner, 2 for a job or monitor). */
function handleProblem(field: string, handle: Record<string, unknown>, pidMin: number): string | null {
  if (handle.kind !== 'local') return null;
  const checks = [
    integerProblem(`${field}.pid`, handle.pid, pidMin),
    integerProblem(`${field}.startTime`, handle.startTime, 0),
    typeof handle.bootId === 'string' && handle.bootId !== ''
      ? null
      : `${field}.bootId must be a non-empty string, got ${JSON.stringify(handle.bootId) ?? 'nothing'}`,
  ];
  if (field === 'job' && (handle.monitorPid !== undefined || handle.monitorStartTime !== undefined)) {
    checks.push(integerProblem('job.monitorPid', handle.monitorPid, 2));
    checks.push(integerProblem('job.monitorStartTime', handle.monitorStartTime, 0));
  }
  return checks.find((c) => c !== null) ?? null;
}

/**
 * Why a lock record's identities or times are invalid, or null when they are fine. The owner
 * may be pid 1 (runwarden as a container's init); a job and its monitor never are (a job's
 * group id > 1 is what makes signalling it safe).
 */
export function lockIdentityProblem(record: Record<string, unknown>): string | null {
  if (!Number.isFinite(record.createdAt)) return `createdAt must be a time, got ${String(record.createdAt)}`;
  if (record.startedAt !== null && record.startedAt !== undefined && !Number.isFinite(record.startedAt)) {
    return `startedAt must be a time or null, got ${String(record.startedAt)}`;
  }
  if (isObject(record.owner)) {
    const owner = handleProblem('owner', record.owner, 1);
    if (owner !== null) return owner;
  }
  return isObject(record.job) ? handleProblem('job', record.job, 2) : null;
}

// Checking a size option at the boundary: a bad one is a programmer error, named in the message.

/** `value` when it is a positive safe integer; throws a RangeError naming `owner` and `name` otherwise. */
export function positiveInteger(owner: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${owner} option ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

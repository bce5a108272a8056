// Short random suffixes for tmp, claim and quarantine names. Not secrets: collisions are also
// ruled out by O_EXCL/link, so Math.random suffices and keeps node:crypto off the startup path.

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  let hex = '';
  for (let i = 0; i < bytes; i++)
    hex += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return hex;
}

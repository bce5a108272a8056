// Turns the errno name the monitor reports for a failed exec into a message a user can act on.

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOEXEC: 'not an executable format',
  ENOTDIR: 'a path component is not a directory',
  E2BIG: 'argument list too long',
  ETXTBSY: 'the file is being written',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
  ENOMEM: 'out of memory',
};

/** `cannot run 'PROG': not found (ENOENT)` for a program whose exec failed with `errno`. */
export function execFailureMessage(program: string, errno: string): string {
  return `cannot run '${program}': ${REASONS[errno] ?? 'exec failed'} (${errno})`;
}

// The request target as the client sent it, checked before routing: only origin-form paths
// ("/a/b?q"), with no percent-encoding, no empty or dot segments. The router and the security
// checks then agree on the path, because there is only one way to write each one.

/** Why a raw request target is refused (one line), or null when it is a plain origin-form path. */
export function requestTargetProblem(rawUrl: string): string | null {
  if (!rawUrl.startsWith('/')) {
    return 'only origin-form request targets (a path starting with /) are accepted, not absolute-form';
  }
  const query = rawUrl.indexOf('?');
  const path = query < 0 ? rawUrl : rawUrl.slice(0, query);
  if (path.includes('%')) return 'percent-encoded characters are not accepted in the path';
  if (path.includes('\\')) return 'a backslash is not accepted in the path';
  const segments = path.split('/').slice(1);
  if (segments.slice(0, -1).some((s) => s === '')) return 'empty path segments (//) are not accepted';
  if (segments.some((s) => s === '.' || s === '..')) return 'dot segments (. and ..) are not accepted';
  return null;
}

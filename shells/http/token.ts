// The shared secret: compared in constant time, carried as a bearer header or an HttpOnly cookie.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The cookie the dashboard keeps the token in (HttpOnly, SameSite=Strict). */
export const tokenCookie = 'rw_token';

/** Whether `given` equals `expected`, in time independent of where they differ (hashes first). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';').slice(0, 64)) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The token a request presents: `Authorization: Bearer …` first, else the cookie. */
export function presentedToken(headers: { authorization?: string; cookie?: string }): string | null {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return cookieValue(headers.cookie, tokenCookie);
}

/** The Set-Cookie value that stores `token` for this origin only. */
export function tokenSetCookie(token: string, secure: boolean): string {
  const flags = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  return `${tokenCookie}=${encodeURIComponent(token)}; ${flags.join('; ')}`;
}

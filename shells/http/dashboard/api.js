// The dashboard's calls to the API: same-origin JSON, the login cookie, never another origin.

/** Call the API with JSON; returns {ok, status, body}. */
export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  let parsed = null;
  try {
    parsed = await res.json();
  } catch {
    parsed = null;
  }
  return { ok: res.ok, status: res.status, body: parsed, headers: res.headers };
}

/** GET a JSON route; the body, or null when it failed (a route this server lacks is a 404). */
export async function getJson(path) {
  const res = await api('GET', path);
  return res.ok ? res.body : null;
}

/** The optional routes this server has (GET /api/features), so the page never probes for a 404. */
let features = new Set();
export async function loadFeatures() {
  const body = await getJson('/api/features');
  features = new Set(body?.routes ?? []);
}
/** Whether the server has route `key` (`GET /api/queue`). */
export const has = (key) => features.has(key);

/** The error message of a failed reply. */
export const errorText = (res, fallback) => res.body?.error?.message ?? `${fallback} (HTTP ${res.status})`;

// api.js: REST calls to the same origin. Bodies are read as text and parsed with parseExact (json.js) so numbers
// keep their exact digits. `cache: 'no-cache'` makes the browser revalidate with If-None-Match: an unchanged
// snapshot costs a 304 and the cached body comes back as a normal 200 here.
import { parseExact } from './json.js';

/** A non-2xx answer: HTTP status plus the API's error code and message (docs/CONTRACT.md "Errors"). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }

  /** True for 401/403: the key is missing or refused, so the page must ask for one again. */
  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

/** GET `path`; resolves to {status, body}. Never throws for HTTP statuses, only for network failures. */
export async function request(path, key) {
  const headers = key ? { 'X-API-Key': key } : {};
  const res = await fetch(path, { headers, cache: 'no-cache', credentials: 'omit' });
  const text = await res.text();
  let body = null;
  try {
    body = text ? parseExact(text) : null;
  } catch {
    body = null; // e.g. an HTML error page from a proxy in front of nginx
  }
  return { status: res.status, body };
}

/** GET `path` with the key; resolves to the parsed body, throws ApiError on any non-2xx answer. */
export async function get(path, key) {
  const { status, body } = await request(path, key);
  if (status >= 200 && status < 300) return body;
  const err = body?.error ?? {};
  throw new ApiError(status, err.code ?? `http_${status}`, err.message);
}

/** Builds `path?query` from an object, leaving out empty values. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

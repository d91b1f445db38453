// Calls to thidua's own API (same origin) and the translation of its refusals to messages.
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/** fetch() that throws ApiError with a Vietnamese (catalogue) message on any failure. */
export async function api(path, { method = 'GET', headers = {}, body } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method, headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined, credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, t('err.network'));
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, httpMessage(response.status, response.headers.get('Retry-After')));
  return data;
}

export function httpMessage(status, retryAfter) {
  if (status === 401) return t('err.unauthorized');
  if (status === 403) return t('err.forbidden');
  if (status === 429 || status === 503) return t('err.busy', { s: retryAfter || '30' });
  if (status === 0) return t('err.network');
  return t('err.server', { status });
}

// The gatekeeper's reasons (server/validation.py, server/gatekeeper.py) in the catalogue's words.
const REASONS = [
  [/is locked: only (a reviewer|the branch)/, 'reason.locked'],
  [/outside the database's territory/, 'reason.territory'],
  [/^campaign .* is not in the directory/, 'reason.campaign'],
  [/^period .* is not a period/, 'reason.period'],
  [/^unit_kind .* is not scored/, 'reason.kind'],
  [/^manual\.(\w+)\.points: (\S+) is outside 0\.\.(\S+)/, 'reason.manualRange'],
  [/^manual\.(\w+): not a manual criterion/, 'reason.manualUnknown'],
  [/^invalid score sheet: (.*)/, 'reason.invalid'],
  [/Only score sheets|only score sheets/i, 'reason.notSheet'],
];

/** A refused document's reason from the server, in the user's language (detail kept). */
export function reasonText(reason) {
  const text = String(reason || '');
  for (const [pattern, key] of REASONS) {
    const m = pattern.exec(text);
    if (m) return t(key, { a: m[1], b: m[2], c: m[3], detail: text });
  }
  return t('reason.other', { detail: text });
}

/** api() signed with the session's device token (the reviewer screens call the API online). */
export const authed = (session) => (path, options = {}) =>
  api(path, { ...options, headers: { Authorization: 'Bearer ' + session.token, ...(options.headers || {}) } });

/** A query string from the set (non-empty) values of `params`. */
export const query = (params) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null && v !== false));
  return q.toString() ? '?' + q : '';
};

/** GET `path` with the session's token as a Blob (exports, photos: a plain link cannot carry it). */
export async function fetchBlob(session, path) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: 'Bearer ' + session.token }, credentials: 'omit' });
  } catch {
    throw new ApiError(0, t('err.network'));
  }
  if (!response.ok) throw new ApiError(response.status, httpMessage(response.status, response.headers.get('Retry-After')));
  return { blob: await response.blob(), headers: response.headers };
}

/** Download `path` (an export) with the session's token and save it under the server's file name. */
export async function download(session, path, fallback) {
  const { blob, headers } = await fetchBlob(session, path);
  const name = /filename="([^"]+)"/.exec(headers.get('Content-Disposition') || '')?.[1] || fallback;
  const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  document.body.append(link); link.click(); link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

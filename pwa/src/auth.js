// Sign-in on this device: the password is sent once to get a device token (named after the
// device) and never kept; the token signs every request, so the phone stays signed in offline.
import { api } from './api.js';

const KEY = 'thidua.session';

export function defaultDeviceName() {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : 'Web';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  return `${os} · ${browser}`;
}

export function savedSession() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch { return null; }
}

export async function signIn(name, password, device) {
  const basic = 'Basic ' + btoa(unescape(encodeURIComponent(`${name}:${password}`)));
  const token = await api('/api/me/tokens', { method: 'POST', headers: { Authorization: basic }, body: { device } });
  const me = await api('/api/me', { headers: { Authorization: 'Bearer ' + token.secret } });
  const session = { name: me.name, roles: me.roles, dbs: me.dbs, token: token.secret, tokenId: token.id, device: token.device };
  localStorage.setItem(KEY, JSON.stringify(session));
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
  return session;
}

/** Revoke this device's token on the server (needs the network), then forget the session. */
export async function signOut(session) {
  await api('/api/me/token', { method: 'DELETE', headers: { Authorization: 'Bearer ' + session.token } });
  localStorage.removeItem(KEY);
}

/** Refresh the list of databases (territory changes) when online; keeps the old one otherwise. */
export async function refreshMe(session) {
  const me = await api('/api/me', { headers: { Authorization: 'Bearer ' + session.token } });
  const next = { ...session, dbs: me.dbs, roles: me.roles };
  localStorage.setItem(KEY, JSON.stringify(next));
  return next;
}

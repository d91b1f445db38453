// Local PouchDB databases (IndexedDB) for `config` and the user's commune databases, and their
// replication with the server: a first download with progress (firstload.mjs: a few large
// `_changes` pages, then replication from there), then live sync with retry and back-off.
// `syncState` always says: online or not, local changes not yet sent, the last successful
// sync, errors (in the catalogue's words) and each sheet the server refused.
import PouchDB from 'pouchdb';
import { httpMessage, reasonText } from './api.js';
import { t } from './i18n.js';
import { createStore } from './store.js';
import { firstLoad } from './firstload.mjs';
// Page and batch sizes of the first download and live sync (bench/js/scale_bench.js reads them too).
import batches from './replication.json';

export const syncState = createStore({
  online: navigator.onLine, active: false, progress: null, lastSync: null,
  pending: {}, refused: {}, error: null,
});

let dbs = {}, remotes = {}, handlers = [], session = null;
const key = (what) => `thidua.${session.name}.${what}`;
const load = (what, fallback) => { try { return JSON.parse(localStorage.getItem(key(what))) ?? fallback; } catch { return fallback; } };
const save = (what, value) => localStorage.setItem(key(what), JSON.stringify(value));
export const backOff = (delay) => (delay ? Math.min(delay * 2, 60000) : 1000);

function remote(db) {
  const token = session.token;
  return new PouchDB(`${location.origin}/db/${db}`, {
    skip_setup: true,
    fetch: (url, opts) => { opts.headers.set('Authorization', 'Bearer ' + token); return PouchDB.fetch(url, opts); },
  });
}

/** Open the local databases of `s` (a signed-in session) and start syncing when online. */
export function openLocal(s) {
  session = s;
  dbs = Object.fromEntries(s.dbs.map((db) => [db, new PouchDB(`thidua_${s.name}_${db}`, { auto_compaction: true })]));
  remotes = Object.fromEntries(s.dbs.map((db) => [db, remote(db)]));
  syncState.set({ pending: load('pending', {}), refused: load('refused', {}), lastSync: load('lastSync', null) });
  return dbs;
}

export const localDb = (db) => dbs[db];

/** Remember a local write of `doc` (its new `rev`) until the server has taken it. */
export function notePending(id, rev) {
  syncState.set((s) => ({ pending: { ...s.pending, [id]: rev } }));
  save('pending', syncState.get().pending);
}

function errorText(err) {
  if (!err) return null;
  return httpMessage(err.status || 0, null) + (err.status ? '' : ' ' + t('sync.retrying'));
}

function onPushed(docs) {
  syncState.set((s) => {
    const pending = { ...s.pending }, refused = { ...s.refused };
    for (const doc of docs) {
      if (pending[doc._id] === doc._rev) delete pending[doc._id];
      delete refused[doc._id];
    }
    return { pending, refused };
  });
  save('pending', syncState.get().pending); save('refused', syncState.get().refused);
}

function onDenied(err) {
  const id = err.id || (err.doc && err.doc._id);
  const reason = err.message || err.reason || '';
  syncState.set((s) => {
    const pending = { ...s.pending };
    const rev = pending[id];
    delete pending[id];
    return { pending, refused: { ...s.refused, [id]: { reason, text: reasonText(reason), rev } } };
  });
  save('pending', syncState.get().pending); save('refused', syncState.get().refused);
}

async function firstDownload(names) {
  const todo = names.filter((db) => !load(`downloaded.${db}`, false));
  if (!todo.length) return;
  const totals = {}, done = {};
  for (const db of todo) totals[db] = (await remotes[db].info()).doc_count || 0;
  const total = Object.values(totals).reduce((a, b) => a + b, 0) || 1;
  const show = () => syncState.set({ progress: Math.min(1, Object.values(done).reduce((a, b) => a + b, 0) / total) });
  show();
  await Promise.all(todo.map((db) => firstLoad(PouchDB, remotes[db], dbs[db], {
    ...batches.first, replication: batches.initial, onProgress: (written) => { done[db] = written; show(); },
  }).then(() => save(`downloaded.${db}`, true))));
  syncState.set({ progress: null });
}

function live() {
  const options = { ...batches.live, live: true, retry: true, back_off_function: backOff };
  for (const db of Object.keys(dbs)) {
    const handler = db === 'config'
      ? PouchDB.replicate(remotes[db], dbs[db], options)
      : dbs[db].sync(remotes[db], options);
    handler
      .on('change', (info) => { if (info.direction === 'push') onPushed(info.change.docs); })
      .on('denied', (info) => onDenied(info.doc || info))
      .on('active', () => syncState.set({ active: true, error: null }))
      .on('paused', (err) => {
        if (err) { syncState.set({ active: false, error: errorText(err) }); return; }
        const now = new Date().toISOString();
        save('lastSync', now);
        syncState.set({ active: false, error: null, lastSync: now });
      })
      .on('error', (err) => syncState.set({ active: false, error: errorText(err) }));
    handlers.push(handler);
  }
}

/** (Re)start replication: the first download if needed, then live sync. */
export async function startSync() {
  stopSync();
  if (!navigator.onLine || !session) return;
  syncState.set({ active: true, error: null });
  try {
    await firstDownload(Object.keys(dbs));
  } catch (err) {
    syncState.set({ active: false, progress: null, error: errorText(err) });
    setTimeout(() => navigator.onLine && startSync(), backOff(5000));
    return;
  }
  live();
}

export function stopSync() {
  for (const h of handlers) h.cancel();
  handlers = [];
}

/** Forget everything of this user on the device (after sign-out). */
export async function destroyLocal() {
  stopSync();
  await Promise.all(Object.values(dbs).map((db) => db.destroy()));
  for (const k of Object.keys(localStorage)) if (k.startsWith(`thidua.${session.name}.`)) localStorage.removeItem(k);
  dbs = {}; remotes = {}; session = null;
}

addEventListener('online', () => { syncState.set({ online: true }); startSync(); });
addEventListener('offline', () => { syncState.set({ online: false, active: false }); stopSync(); });

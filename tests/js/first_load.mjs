// The PWA's first load (pwa/src/firstload.mjs) with PouchDB 9 (memory adapter) against a
// server, then what the phone holds. Prints one JSON line.
//
// stdin {"couch": "http://host:port/db/", "auth": {"username", "password"}, "db": "c-...",
//        "limit": rows a page, "write": [doc, ...] (written on the server through `auth`
//        after the first page is stored: a concurrent write), "fail_after": pages (the load
//        stops there with an error, then runs again: an interrupted first download)}
// -> {"result": {docs_written, docs_read, status}, "error": {status, message} | null,
//     "pages": progress calls, "docs": {id: {leaves: [rev, ...] sorted, winner, deleted,
//     attachments: {name: base64}}}, "again": docs_read of one more replication (0: it went
//     on from the checkpoint)}
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));
const { firstLoad } = await import('../../pwa/src/firstload.mjs');

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const spec = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const remote = new PouchDB(spec.couch + spec.db, { auth: spec.auth, skip_setup: true });
const phone = new PouchDB(`first_${process.pid}`, { adapter: 'memory' });

let pages = 0, failAt = spec.fail_after || 0;
const onProgress = async () => {
  pages += 1;
  if (pages === 1 && spec.write) {
    const written = await remote.bulkDocs(spec.write);
    if (written.some((r) => r.error)) throw new Error(`concurrent write failed: ${JSON.stringify(written)}`);
  }
  if (failAt && pages === failAt) { failAt = 0; throw Object.assign(new Error('interrupted'), { interrupted: true }); }
};

async function load() {
  try {
    return { result: await firstLoad(PouchDB, remote, phone, { limit: spec.limit, onProgress }), error: null };
  } catch (err) {
    if (err.interrupted) return load();
    return { result: null, error: { status: err.status || 0, message: err.message } };
  }
}

const out = await load();
const ids = (await phone.changes({ style: 'all_docs' })).results.map((row) => row.id);
const winners = (await phone.allDocs({ keys: ids })).rows;
const docs = {};
for (const [i, id] of ids.entries()) {
  const leaves = await phone.get(id, { open_revs: 'all', attachments: true });
  const attachments = {};
  for (const { ok } of leaves) {
    for (const [name, att] of Object.entries(ok._attachments || {})) attachments[`${ok._rev}/${name}`] = att.data;
  }
  docs[id] = { leaves: leaves.map((l) => l.ok._rev).sort(), winner: winners[i].value.rev,
    deleted: Boolean(winners[i].value.deleted), attachments };
}
let again = null;
if (out.result) again = (await PouchDB.replicate(remote, phone)).docs_read;
const result = out.result && { docs_written: out.result.docs_written, docs_read: out.result.docs_read, status: out.result.status };
process.stdout.write(JSON.stringify({ result, error: out.error, pages, docs, again }) + '\n');

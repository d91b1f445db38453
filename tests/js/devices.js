// Several offline devices (PouchDB 9, memory adapter) editing score sheets of one commune.
// Input (stdin): {"couch": "http://host:port/db/", "auth": {...}, "db": "c-XXXXX",
//                 "steps": [{"op": ..., "device": "d1", ...}]}
// Ops: pull (replicate the remote db into the device), edit {id, set: {"inputs.x": v},
// unset: ["inputs.y"], when}, remove {id}, sync (both ways), push, pull, get {id}.
// `edit` answers what the device saw before the edit ({field: old value}) for the oracle.
// Output: one line {"results": [...]}.
'use strict';

const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));

let spec;
const devices = new Map();
let remote;

function device(name) {
  if (!devices.has(name)) devices.set(name, new PouchDB(`dev_${process.pid}_${name}`, { adapter: 'memory' }));
  return devices.get(name);
}

function path(body, field) {
  const dot = field.indexOf('.');
  if (dot < 0) return [body, field];
  const head = field.slice(0, dot);
  body[head] = Object.assign({}, body[head] || {});
  return [body[head], field.slice(dot + 1)];
}

const summary = (r) => ({ ok: r.ok, docs_written: r.docs_written, errors: (r.errors || []).map(String) });

const ops = {
  pull: async (s) => summary(await PouchDB.replicate(remote, device(s.device))),
  push: async (s) => summary(await PouchDB.replicate(device(s.device), remote)),
  sync: async (s) => {
    const r = await PouchDB.sync(device(s.device), remote);
    return { push: summary(r.push), pull: summary(r.pull) };
  },
  edit: async (s) => {
    const db = device(s.device);
    const doc = await db.get(s.id);
    const seen = {};
    for (const [field, value] of Object.entries(s.set || {})) {
      const [holder, key] = path(doc, field);
      seen[field] = key in holder ? holder[key] : null;
      holder[key] = value;
    }
    for (const field of s.unset || []) {
      const [holder, key] = path(doc, field);
      seen[field] = key in holder ? holder[key] : null;
      delete holder[key];
    }
    doc.updated_at = s.when;
    doc.scorer = s.scorer || s.device;
    doc.device_id = s.device;
    const r = await db.put(doc);
    return { rev: r.rev, seen };
  },
  remove: async (s) => {
    const db = device(s.device);
    const doc = await db.get(s.id);
    return db.remove(doc);
  },
  get: async (s) => device(s.device).get(s.id, { conflicts: true }),
  // Wait until the server merged the sheet (one open leaf) and scored that revision.
  settle: async (s) => {
    const deadline = Date.now() + (s.timeout_ms || 30000);
    const rid = 'result:' + s.id.slice('sheet:'.length);
    for (;;) {
      const doc = await remote.get(s.id, { conflicts: true });
      if (!(doc._conflicts || []).length) {
        try {
          const result = await remote.get(rid);
          if (result.sheet_rev === doc._rev) return { rev: doc._rev, result };
        } catch (err) { if (err.status !== 404) throw err; }
      }
      if (Date.now() > deadline) return { error: 'timeout', doc };
      await new Promise((r) => setTimeout(r, 50));
    }
  },
};

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  spec = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  remote = new PouchDB(spec.couch + encodeURIComponent(spec.db), spec.auth ? { auth: spec.auth } : {});
  const results = [];
  for (const step of spec.steps) {
    try {
      results.push(await ops[step.op](step));
    } catch (err) {
      results.push({ error: err.name || String(err), status: err.status, reason: err.reason || err.message });
    }
  }
  await new Promise((resolve) => process.stdout.write(JSON.stringify({ results }) + '\n', resolve));
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});

// Runs one replication scenario with PouchDB 9 (memory adapter) and prints JSON results.
//
// Input (stdin): {"couch": "http://host:port/db/", "auth": {"username","password"} | null,
//                 "steps": [{"op": ..., ...}, ...]}
// Database names: "remote:NAME" is NAME on the server, anything else a local memory db;
// "remote:NAME~USER" is NAME signed in as USER with the spec's password (several devices).
// Output (stdout): progress lines {"event": ...} while running, then one final line
// {"results": [one entry per step]}. Errors of a step are results ({"error", "status"}),
// so the Python side asserts on them; a crash exits non-zero with the stack on stderr.
'use strict';

const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));

const prefix = `p${process.pid}_`;
let spec;
const dbs = new Map();
const live = new Map();

function open(name) {
  if (!dbs.has(name)) {
    const [remote, user] = name.slice(7).split('~');
    const auth = user ? { username: user, password: spec.auth.password } : spec.auth;
    const db = name.startsWith('remote:')
      ? new PouchDB(spec.couch + encodeURIComponent(remote), Object.assign({ fetch: watched },
        auth ? { auth } : {}))
      : new PouchDB(prefix + name, { adapter: 'memory' });
    dbs.set(name, db);
  }
  return dbs.get(name);
}

// Every 5xx answer the server gives a device is a progress event (the tests count them).
async function watched(url, opts) {
  const answer = await PouchDB.fetch(url, opts);
  if (answer.status >= 500) emit({ event: 'http', status: answer.status, url: String(url) });
  return answer;
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function summary(info) {
  if (!info) return null;
  return {
    ok: info.ok, status: info.status, docs_read: info.docs_read, docs_written: info.docs_written,
    doc_write_failures: info.doc_write_failures, errors: (info.errors || []).map(String),
  };
}

function replicateOpts(step) {
  const opts = Object.assign({}, step.opts || {});
  if (opts.retry) opts.back_off_function = () => step.back_off_ms || 200;
  return opts;
}

function track(rep, step, label) {
  if (step.progress) {
    rep.on('change', (info) => emit({ event: 'change', label,
      docs_written: (info.change || info).docs_written }));
    rep.on('paused', (err) => emit({ event: 'paused', label, error: err ? String(err) : null }));
  }
  return rep;
}

async function waitFor(step) {
  const db = open(step.db);
  const deadline = Date.now() + (step.timeout_ms || 20000);
  for (;;) {
    try {
      const doc = await db.get(step.id, { conflicts: true });
      if (!step.deleted && (!step.rev || doc._rev === step.rev)
          && (!step.rev_prefix || doc._rev.startsWith(step.rev_prefix))) {
        if (!step.conflicts || (doc._conflicts || []).length === step.conflicts) return doc;
      }
    } catch (err) {
      if (step.deleted && err.status === 404) return { deleted: true };
    }
    if (Date.now() > deadline) return { error: 'timeout', status: 408 };
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ops = {
  bulk: (s) => open(s.db).bulkDocs(s.docs, s.opts || {}),
  generate: (s) => {
    const docs = [];
    for (let i = 0; i < s.count; i++) {
      docs.push({ _id: `${s.id_prefix || 'doc'}${String(i).padStart(6, '0')}`, n: i,
        body: 'x'.repeat(s.size || 10) });
    }
    return open(s.db).bulkDocs(docs).then((r) => ({ written: r.filter((x) => x.ok).length }));
  },
  put: (s) => open(s.db).put(s.doc),
  update: async (s) => { // an edit on the device: read the winner, set fields, put it back
    const db = open(s.db);
    return db.put(Object.assign(await db.get(s.id), s.set));
  },
  get: (s) => open(s.db).get(s.id, s.opts || {}),
  remove: (s) => open(s.db).remove(s.id, s.rev),
  info: (s) => open(s.db).info(),
  all_docs: (s) => open(s.db).allDocs(s.opts || {}),
  changes: (s) => open(s.db).changes(s.opts || {}),
  destroy: (s) => open(s.db).destroy().then(() => { dbs.delete(s.db); return { ok: true }; }),
  put_attachment: (s) => open(s.db).putAttachment(s.id, s.name, s.rev,
    Buffer.from(s.data_b64, 'base64'), s.content_type),
  get_attachment: async (s) => {
    const data = await open(s.db).getAttachment(s.id, s.name, s.opts || {});
    return { data_b64: Buffer.from(data).toString('base64') };
  },
  replicate: async (s) => summary(
    await track(PouchDB.replicate(open(s.from), open(s.to), replicateOpts(s)), s, 'replicate')),
  sync: async (s) => {
    const result = await track(PouchDB.sync(open(s.a), open(s.b), replicateOpts(s)), s, 'sync');
    return { push: summary(result.push), pull: summary(result.pull) };
  },
  live_sync: (s) => {
    const handle = PouchDB.sync(open(s.a), open(s.b), { live: true, retry: true,
      back_off_function: () => 200 });
    const state = { errors: [] };
    handle.on('error', (err) => state.errors.push(String(err)));
    handle.on('denied', (err) => state.errors.push('denied ' + String(err)));
    live.set(s.name, { handle, state });
    return { started: s.name };
  },
  wait_for: waitFor,
  sleep: (s) => new Promise((r) => setTimeout(() => r({ slept: s.ms }), s.ms)),
  cancel: async (s) => {
    const { handle, state } = live.get(s.name);
    const done = new Promise((r) => handle.on('complete', r));
    handle.cancel();
    await done;
    live.delete(s.name);
    return state;
  },
};

// PouchDB leaves some promises unobserved while a server is down (e.g. the `info()` for
// progress); a browser only logs them, so do the same instead of crashing node.
process.on('unhandledRejection', (err) => emit({ event: 'unhandled', error: String(err) }));

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  spec = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const results = [];
  for (const step of spec.steps) {
    const op = ops[step.op];
    if (!op) throw new Error(`unknown op ${step.op}`);
    try {
      results.push(await op(step));
    } catch (err) {
      results.push({ error: err.name || String(err), status: err.status, reason: err.reason || err.message });
    }
  }
  for (const { handle } of live.values()) handle.cancel();
  // Exit only once the (possibly large) final line is flushed to the pipe.
  await new Promise((resolve) => process.stdout.write(JSON.stringify({ results }) + '\n', resolve));
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});

// PouchDB 9 (memory adapter) drivers for bench/scale.py. Prints one JSON line.
//
// stdin {"mode": "pull", "couch": "http://host:port/prefix/", "auth": {...}, "db": "c-...",
//        "options": {...} (optional)}:
//   a phone's first download of `db` into a fresh local db as the PWA does it
//   (pwa/src/firstload.mjs with replication.json `first`, then a replication with `initial`
//   or `options`); with "replicate": true a plain replication with those options only
//   -> {"seconds", "docs", "requests", "options", "steps", "cpu"}.
// stdin {"mode": "push", "couch": url, "auth": {...}, "db": "c-...", "docs": [sheet, ...]}:
//   a phone's push of `docs` (written locally first, untimed) into `db` with the PWA's
//   live-sync batch size (replication.json `live`) -> {"seconds", "docs", "requests", "steps",
//   "cpu"}. `steps`: per request kind ("POST /_bulk_docs"), its count and milliseconds;
//   `cpu`: the phone's own CPU seconds (this process) during the replication.
// stdin {"mode": "mixed", "couches": [url, ...], "auth": {...}, "dbs": [...], "clients": K,
//        "seconds": T, "batch": B, "docs": [[sheet, ...] per phone]}:
//   K phones, phone i on couches[i % n] and dbs[i % len], each looping for T seconds (or
//   until its sheets run out): write its next B sheets locally, push, pull the commune
//   (one-shot replications, as the PWA's sync does). Every HTTP request is timed ->
//   {"requests", "seconds", "latencies" (ms, sorted), "errors", "failures", "syncs"}.
// Connections are reused (keep-alive), as browsers do.
'use strict';

const http = require('http');
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));
const batches = require('../../pwa/src/replication.json');

let serial = 0;
const local = () => new PouchDB(`scale_${process.pid}_${++serial}`, { adapter: 'memory' });

// A request's kind for `steps`: its method and the part after the database (`_bulk_docs`,
// `_local`, ...; `/` for the database itself).
function kind(url, opts, db) {
  const rest = new URL(url).pathname.split('/' + db)[1] || '/';
  return `${(opts && opts.method) || 'GET'} ${rest.split('/').slice(0, 2).join('/') || '/'}`;
}

function remote(couch, auth, db, timings, steps) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const fetch = async (url, opts) => {
    const start = process.hrtime.bigint();
    try {
      return await PouchDB.fetch(url, { ...opts, agent });
    } finally {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (timings) timings.push(ms);
      if (steps) {
        const step = steps[kind(url, opts, db)] ||= { count: 0, ms: 0 };
        step.count += 1;
        step.ms += ms;
      }
    }
  };
  return new PouchDB(couch + db, { auth, fetch, skip_setup: true });
}

async function pull(spec) {
  const phone = local();
  const timings = [];
  const steps = {};
  const options = spec.options || batches.initial;
  const { firstLoad } = await import('../../pwa/src/firstload.mjs');
  const source = remote(spec.couch, spec.auth, spec.db, timings, steps);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = spec.replicate ? await PouchDB.replicate(source, phone, options)
    : await firstLoad(PouchDB, source, phone, { ...(spec.first || batches.first), replication: options });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.doc_write_failures) throw new Error(`pull failed: ${JSON.stringify(result)}`);
  return { seconds, docs: result.docs_written, requests: timings.length, options, steps,
    cpu: cpuSeconds(cpu) };
}

async function push(spec) {
  const phone = local();
  await phone.bulkDocs(spec.docs);
  const timings = [];
  const steps = {};
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await PouchDB.replicate(phone,
    remote(spec.couch, spec.auth, spec.db, timings, steps), batches.live);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.doc_write_failures || result.docs_written !== spec.docs.length) {
    throw new Error(`push failed: ${JSON.stringify({ ...result, errors: result.errors.slice(0, 3) })}`);
  }
  return { seconds, docs: result.docs_written, requests: timings.length, steps,
    cpu: cpuSeconds(cpu) };
}

// The phone's own CPU seconds (this Node process, user + system) since `since`.
function cpuSeconds(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

async function mixed(spec) {
  const timings = [];
  let errors = 0;
  // A request PouchDB fails outside a replication's promise (a reused keep-alive connection
  // reset by the server) is an error of the load, not the end of the run.
  process.on('unhandledRejection', () => { errors += 1; });
  let failures = 0;
  let syncs = 0;
  const until = Date.now() + spec.seconds * 1000;
  const start = process.hrtime.bigint();
  const phones = [];
  for (let i = 0; i < spec.clients; i++) {
    phones.push((async () => {
      const mine = local();
      const server = remote(spec.couches[i % spec.couches.length], spec.auth,
        spec.dbs[i % spec.dbs.length], timings);
      const mineDocs = spec.docs[i];
      for (let n = 0; n < mineDocs.length && Date.now() < until; n += spec.batch) {
        await mine.bulkDocs(mineDocs.slice(n, n + spec.batch));
        try {
          const push = await mine.replicate.to(server);
          const pulled = await mine.replicate.from(server);
          failures += push.doc_write_failures + pulled.doc_write_failures;
          syncs += 1;
        } catch (err) {
          errors += 1;
        }
      }
    })());
  }
  await Promise.all(phones);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  timings.sort((a, b) => a - b);
  return { requests: timings.length, seconds, latencies: timings, errors, failures, syncs };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const spec = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const out = await ({ pull, push, mixed })[spec.mode](spec);
  await new Promise((resolve) => process.stdout.write(JSON.stringify(out) + '\n', resolve));
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});

// Times PouchDB 9 (memory adapter) replications and prints one JSON line of seconds.
//
// stdin: {"couch": "http://host:port/db/" | null, "auth": {...} | null, "count": N,
//         "initial": M, "repeat": R, "keepalive": true|false}
// keepalive (default true): reuse HTTP connections, as browsers (the PWA) do; without it
// PouchDB's node-fetch sends `Connection: close` and opens a TCP connection per request.
// With couch=null it measures the in-process limit: the same replications memory -> memory.
// Timed: push of N docs into a fresh remote db; pull of those N into a fresh local db;
// initial pull of M docs (another remote db, filled untimed) into a fresh local db.
'use strict';

const http = require('http');
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));

let serial = 0;

function sheet(i) {
  // A scoring sheet of about 1 KB: a unit, a period and ten criteria with notes.
  const criteria = [];
  for (let c = 0; c < 10; c++) {
    criteria.push({ code: `TC${c + 1}`, score: (i * 7 + c * 3) % 11, max: 10,
      note: `Đạt yêu cầu tiêu chí ${c + 1}, đơn vị ${i % 97}` });
  }
  return {
    _id: `sheet:${String(i).padStart(6, '0')}:2026`, type: 'sheet', period: '2026',
    unit: `xa-${i % 997}`, district: `pgd-${i % 31}`, scorer: `scorer-${i % 53}`,
    status: 'submitted', updated_at: '2026-11-26T10:00:00Z', criteria,
  };
}

function local() {
  serial += 1;
  return new PouchDB(`bench_${process.pid}_${serial}`, { adapter: 'memory' });
}

function target(spec, name) {
  if (!spec.couch) return local();
  const options = spec.auth ? { auth: spec.auth } : {};
  if (spec.keepalive !== false) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    options.fetch = (url, opts) => PouchDB.fetch(url, { ...opts, agent });
  }
  return new PouchDB(spec.couch + name, options);
}

async function filled(count) {
  const db = local();
  for (let i = 0; i < count; i += 1000) {
    const docs = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) docs.push(sheet(j));
    await db.bulkDocs(docs);
  }
  return db;
}

async function timed(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.docs_written === undefined || result.doc_write_failures) {
    throw new Error(`replication failed: ${JSON.stringify(result)}`);
  }
  return { seconds, docs: result.docs_written };
}

async function once(spec, round) {
  // Every db is destroyed after use so a step does not pay for the previous one's heap.
  const source = await filled(spec.count);
  const remote = target(spec, `bench-${process.pid}-${round}-main`);
  const push = await timed(() => PouchDB.replicate(source, remote));
  await source.destroy();
  const pulled = local();
  const pull = await timed(() => PouchDB.replicate(remote, pulled));
  await pulled.destroy();
  await remote.destroy();
  const seed = await filled(spec.initial);
  const small = target(spec, `bench-${process.pid}-${round}-initial`);
  await PouchDB.replicate(seed, small);
  await seed.destroy();
  const fresh = local();
  const initial = await timed(() => PouchDB.replicate(small, fresh));
  await fresh.destroy();
  await small.destroy();
  return { push, pull, initial };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const spec = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const rounds = [];
  for (let r = 0; r < (spec.repeat || 1); r++) rounds.push(await once(spec, r));
  await new Promise((resolve) => process.stdout.write(JSON.stringify({ rounds }) + '\n', resolve));
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});

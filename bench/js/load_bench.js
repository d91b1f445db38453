// Many phones at once: PouchDB 9 clients (memory adapter), each a distinct scorer with its
// own credentials, push their sheets into their commune's database and then pull it.
// bench/load.py may start several of these processes, each with a share of the phones
// (phones are separate devices; one Node process would also time its own CPU).
//
// stdin: {"couch": "http://host:port/db/", "clients": [{"db": "c-...", "auth":
//         {"bearer": "thd_..."} | {"username": u, "password": p}, "docs": [...]}, ...]}
// then, once every phone holds its sheets, this process prints `ready` and waits for a
// line `go` on stdin, so that every process's syncs start together. Prints one JSON object:
// {"clients": [{"seconds": s, "error": null | "...", ...}], "cpu": {"setup": s, "sync": s}}
// Connections are reused (keep-alive), as browsers do.
'use strict';

const http = require('http');
const readline = require('readline');
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));
// PouchDB's own HTTP client without its cookie jar (`PouchDB.fetch` wraps it in
// fetch-cookie): a device token needs no cookies, and a phone's browser keeps its jar natively.
const nodeFetch = require('node-fetch');
// The PWA's live sync options (pwa/src/sync.js): a page of 200 changes.
const SYNC = { batch_size: 200 };

// Every answer of 400 or more: {method, path (after the database), status, body}.
function recording(fetch, failures) {
  return async (url, opts) => {
    const response = await fetch(url, opts);
    if (response.status >= 400) {
      const body = (await response.clone().text()).slice(0, 300);
      const path = new URL(url).pathname.split('/').slice(3).join('/');
      failures.push({ method: opts.method || 'GET', path, status: response.status, body });
    }
    return response;
  };
}

function remote(couch, client, failures) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const options = {};
  if (client.auth.bearer) {
    const header = `Bearer ${client.auth.bearer}`;
    options.fetch = recording((url, opts) => {
      opts.headers.set('Authorization', header);
      return nodeFetch(url, { ...opts, agent });
    }, failures);
  } else {
    options.auth = { username: client.auth.username, password: client.auth.password };
    options.fetch = recording((url, opts) => PouchDB.fetch(url, { ...opts, agent }), failures);
  }
  return new PouchDB(couch + client.db, options);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A phone's live sync retries for as long as it runs (pwa/src/sync.js); the bench gives up
// after 10 minutes of retrying.
const RETRY_FOR_MS = 600 * 1000;

async function phoneWith(client, index) {
  const phone = new PouchDB(`phone_${process.pid}_${index}`, { adapter: 'memory' });
  await phone.bulkDocs(client.docs);
  return phone;
}

async function one(couch, client, phone) {
  // One sync = push, then pull. A 503/429 (the server's sign-in bound) is retried after a
  // second or so, as the PWA does; each retry is counted.
  const failures = [];
  const server = remote(couch, client, failures);
  const start = process.hrtime.bigint();
  let retries = 0;
  try {
    for (;;) {
      try {
        const push = await phone.replicate.to(server, SYNC);
        const pull = await phone.replicate.from(server, SYNC);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const failed = push.doc_write_failures + pull.doc_write_failures;
        const error = push.ok && pull.ok && !failed ? null : `write failures: ${failed}`;
        return { seconds, error, retries, failures, pushed: push.docs_written, pulled: pull.docs_read };
      } catch (err) {
        const status = err && err.status;
        const retrying = Number(process.hrtime.bigint() - start) / 1e6;
        if ((status === 503 || status === 429) && retrying < RETRY_FOR_MS) {
          retries += 1;
          await sleep(1000 + Math.random() * 500);
          continue;
        }
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const why = String((err && (err.message || err.reason || err.name)) || err);
        return { seconds, retries, failures, error: `${status || ''} ${why}`.trim() };
      }
    }
  } finally {
    await phone.destroy();
  }
}

const cpuSeconds = (usage) => (usage.user + usage.system) / 1e6;

async function main() {
  const lines = readline.createInterface({ input: process.stdin });
  const next = lines[Symbol.asyncIterator]();
  const spec = JSON.parse((await next.next()).value);
  const phones = await Promise.all(spec.clients.map((c, i) => phoneWith(c, i)));
  const setup = process.cpuUsage();
  process.stdout.write('ready\n');
  while ((await next.next()).value !== 'go');
  const clients = await Promise.all(spec.clients.map((c, i) => one(spec.couch, c, phones[i])));
  const cpu = { setup: cpuSeconds(setup), sync: cpuSeconds(process.cpuUsage(setup)) };
  process.stdout.write(JSON.stringify({ clients, cpu }) + '\n');
  lines.close();
}

main().catch((err) => { console.error(err); process.exit(1); });

// Many phones at once: N PouchDB 9 clients (memory adapter) in one Node process, each a
// distinct scorer with its own credentials, push their sheets into their commune's database
// and then pull it, all starting together. Prints one JSON object:
// {"clients": [{"seconds": s, "error": null | "...", "pushed": n, "pulled": n}, ...]}
//
// stdin: {"couch": "http://host:port/db/", "clients": [{"db": "c-...", "auth":
//         {"bearer": "thd_..."} | {"username": u, "password": p}, "docs": [...]}, ...]}
// Connections are reused (keep-alive), as browsers do.
'use strict';

const http = require('http');
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));

function remote(couch, client, index) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const options = {};
  if (client.auth.bearer) {
    const header = `Bearer ${client.auth.bearer}`;
    options.fetch = (url, opts) => {
      opts.headers.set('Authorization', header);
      return PouchDB.fetch(url, { ...opts, agent });
    };
  } else {
    options.auth = { username: client.auth.username, password: client.auth.password };
    options.fetch = (url, opts) => PouchDB.fetch(url, { ...opts, agent });
  }
  return new PouchDB(couch + client.db, options);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MAX_RETRIES = 60;

async function one(couch, client, index) {
  // One sync = push, then pull. A 503/429 (the server's sign-in bound) is retried after a
  // second or so, as the PWA does; each retry is counted.
  const phone = new PouchDB(`phone_${process.pid}_${index}`, { adapter: 'memory' });
  await phone.bulkDocs(client.docs);
  const server = remote(couch, client, index);
  const start = process.hrtime.bigint();
  let retries = 0;
  try {
    for (;;) {
      try {
        const push = await phone.replicate.to(server);
        const pull = await phone.replicate.from(server);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const failed = push.doc_write_failures + pull.doc_write_failures;
        const error = push.ok && pull.ok && !failed ? null : `write failures: ${failed}`;
        return { seconds, error, retries, pushed: push.docs_written, pulled: pull.docs_read };
      } catch (err) {
        const status = err && err.status;
        if ((status === 503 || status === 429) && retries < MAX_RETRIES) {
          retries += 1;
          await sleep(1000 + Math.random() * 500);
          continue;
        }
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const why = String((err && (err.message || err.reason || err.name)) || err);
        return { seconds, retries, error: `${status || ''} ${why}`.trim() };
      }
    }
  } finally {
    await phone.destroy();
  }
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const spec = JSON.parse(input);
  const clients = await Promise.all(spec.clients.map((c, i) => one(spec.couch, c, i)));
  process.stdout.write(JSON.stringify({ clients }) + '\n');
}

main().catch((err) => { console.error(err); process.exit(1); });

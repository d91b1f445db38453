// Closed-loop HTTP load: N clients (keep-alive connections) each GET the next path of a list
// until `requests` are done. Input (stdin): {"base", "paths", "clients", "requests"}.
// Output: {"count", "errors", "p50", "p95", "p99", "max"} (milliseconds).
'use strict';

const http = require('http');

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const spec = JSON.parse(Buffer.concat(chunks).toString());
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.clients });
  const times = [];
  let next = 0;
  let errors = 0;
  const one = (path) => new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    http.get(spec.base + path, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) errors += 1;
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        resolve();
      });
    }).on('error', () => { errors += 1; resolve(); });
  });
  const client = async () => {
    while (next < spec.requests) {
      const path = spec.paths[next % spec.paths.length];
      next += 1;
      await one(path);
    }
  };
  await Promise.all(Array.from({ length: spec.clients }, client));
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  process.stdout.write(JSON.stringify({ count: times.length, errors, p50: at(0.5),
    p95: at(0.95), p99: at(0.99), max: times[times.length - 1] }) + '\n');
  agent.destroy();
}

main().catch((err) => { console.error(err); process.exit(1); });

// Benchmark: lyceum's Rust/wasm edge worker vs a JavaScript/WebCrypto twin
// (bench/worker), both on local `wrangler dev` (workerd) over the fixture site.
// Reports per-request latency (p50/p99 of N sequential keep-alive requests) and
// req/s under a bounded concurrency, from loopback only. Not a test.
//
//   node bench/run.mjs [--n 500] [--concurrency 8] [--seconds 5]
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, buildFixture, ensureWorker, startWrangler, tempDir, writeDevVars } from '../tests/e2e/lib/harness.mjs';
import { now, sign } from '../tests/e2e/lib/jwt.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 500);
const CONC = arg('concurrency', 8);
const SECONDS = arg('seconds', 5);

ensureWorker();
const dir = tempDir('lyceum-bench-');
const dist = buildFixture(dir);
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const [gatedUrl, gatedEntry] = Object.entries(manifest.entries).find(([, e]) => e.teaser);
const secret = 'bench-secret-'.padEnd(48, 'x');
const token = sign('HS256', { sub: 'bench', level: gatedEntry.level, exp: now() + 86400 }, secret);
writeDevVars(path.join(dir, 'bench.vars'), { LYCEUM_JWT_SECRET: secret });

const scenarios = [
  ['public page', '/about/', {}],
  ['gated, allowed (HS256 cookie)', encodeURI(gatedUrl), { Cookie: `lyceum_session=${token}` }],
  ['gated, denied (teaser)', encodeURI(gatedUrl), {}],
];

function once(agent, base, p, headers) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: u.hostname, port: u.port, path: p, headers, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve([res.statusCode, Number(process.hrtime.bigint() - t0) / 1e6]));
    });
    req.on('error', reject);
    req.end();
  });
}

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** p50/p99 of N sequential keep-alive requests, alternating between the workers so
 *  background load on the machine hits both alike. */
async function latencies(servers, p, headers) {
  const agents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  for (let i = 0; i < 200; i++) for (const [k, s] of servers.entries()) await once(agents[k], s.base, p, headers); // warm-up
  const lat = servers.map(() => []);
  const status = [];
  for (let i = 0; i < N; i++) {
    const order = i % 2 ? [...servers.keys()].reverse() : [...servers.keys()];
    for (const k of order) {
      const [st, ms] = await once(agents[k], servers[k].base, p, headers);
      status[k] = st;
      lat[k].push(ms);
    }
  }
  agents.forEach((a) => a.destroy());
  return lat.map((l, k) => {
    l.sort((a, b) => a - b);
    return { status: status[k], p50: pct(l, 0.5), p99: pct(l, 0.99) };
  });
}

/** req/s with CONC requests in flight for SECONDS, for one server. */
async function throughput(base, p, headers) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
  let done = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (Date.now() < end) { await once(agent, base, p, headers); done++; }
  }));
  agent.destroy();
  return done / SECONDS;
}

const workers = [
  ['rust/wasm', path.join(ROOT, 'edge-worker/wrangler.toml')],
  ['js/webcrypto', path.join(ROOT, 'bench/worker/wrangler.toml')],
];
const servers = [];
const results = {};
try {
  for (const [name, config] of workers) {
    servers.push(await startWrangler({ dist, config, envFile: path.join(dir, 'bench.vars'), stateDir: path.join(dir, `state-${name.replace('/', '-')}`) }));
  }
  for (const [label, p, headers] of scenarios) {
    const lat = await latencies(servers, p, headers);
    // Two alternating rounds per worker, averaged.
    const rps = servers.map(() => 0);
    for (let round = 0; round < 2; round++) {
      for (const k of round ? [1, 0] : [0, 1]) rps[k] += (await throughput(servers[k].base, p, headers)) / 2;
    }
    workers.forEach(([name], k) => { results[`${label}|${name}`] = { ...lat[k], rps: rps[k] }; });
  }
} finally {
  for (const s of servers) await s.stop();
}

const wasm = fs.readFileSync(path.join(ROOT, 'edge-worker/build/index_bg.wasm'));
const gz = Number(spawnSync('sh', ['-c', 'gzip -9 -c edge-worker/build/index_bg.wasm | wc -c'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim());
console.log(`\nlyceum edge worker benchmark — local wrangler dev (workerd), loopback, p50/p99 of N=${N} sequential keep-alive requests (workers interleaved), req/s with ${CONC} in flight for ${SECONDS}s × 2 rounds`);
console.log(`wasm: ${wasm.length} bytes raw, ${gz} bytes gzip -9 (${(gz / 1024).toFixed(1)} KiB)\n`);
const row = (...c) => console.log(c.map((x, i) => String(x).padEnd(i === 0 ? 32 : 14)).join(''));
row('scenario', 'worker', 'status', 'p50 ms', 'p99 ms', 'req/s');
for (const [label] of scenarios) {
  for (const [name] of workers) {
    const r = results[`${label}|${name}`];
    row(label, name, r.status, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(0));
  }
}

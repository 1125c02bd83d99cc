// Benchmark: lyceum's Rust/wasm edge worker vs a JavaScript/WebCrypto twin
// (bench/worker), on local `wrangler dev` (workerd), loopback only. Not a test.
// Three parts, for a public page, a gated page allowed and a gated page denied:
//
// - cpu: end to end over the fixture site, the CPU (ns, /proc/<pid>/task/*/schedstat)
//   of the workerd process that runs the worker and its assets service — wrangler starts
//   two per `dev`: a proxy bound to --port, and the user worker's — around blocks of
//   --cpu-block sequential keep-alive requests. The Rust worker, a forward-only floor
//   and the JS twin take turns block by block (--cpu-blocks rounds, order rotating), so
//   a change in machine load hits all alike; reported: the medians of the per-round
//   ratios to the JS twin and their 95% intervals.
// - isolate: the workers' own CPU, without the assets service that dominates the
//   end-to-end cost: bench/isolate runs both and a forward-only floor in one isolate
//   against an in-memory ASSETS (see isolateCpu).
// - latency: p50/p99 of N sequential keep-alive requests and req/s under a bounded
//   concurrency (dominated by wrangler's proxy and machine load).
//
// DevTools stay off the workers' inspector unless --devtools (production has none;
// wrangler dev attaches them by default and they add work to every request).
//
//   node bench/run.mjs [--only cpu|isolate|latency] [--devtools]
//                      [--cpu-blocks 400] [--cpu-block 10] [--isolate-rounds 120] [--isolate-n 1000]
//                      [--n 500] [--concurrency 8] [--seconds 5]
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, startWrangler } from '../tests/e2e/lib/harness.mjs';
import { benchFixture, harnessQuery, startHarness } from './fixture.mjs';
import { cpuNs, workerdPids } from './cpu.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 500);
const CONC = arg('concurrency', 8);
const SECONDS = arg('seconds', 5);
const CPU_BLOCKS = arg('cpu-blocks', 400);
const CPU_BLOCK = arg('cpu-block', 10);
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? process.argv[i + 1] : null;
})();
// DevTools attached to the workers' inspector (wrangler dev's default) or not (as in production).
const DEVTOOLS = process.argv.includes('--devtools');
const DO_LATENCY = !ONLY || ONLY === 'latency';
const DO_CPU = !ONLY || ONLY === 'cpu';
const DO_ISOLATE = !ONLY || ONLY === 'isolate';
if (ONLY && !['cpu', 'latency', 'isolate'].includes(ONLY)) throw new Error('--only latency|cpu|isolate');
const ISOLATE_ROUNDS = arg('isolate-rounds', 120);
const ISOLATE_N = arg('isolate-n', 1000);
if (!(ISOLATE_ROUNDS > 0 && ISOLATE_ROUNDS <= 1000 && ISOLATE_N > 0 && ISOLATE_N <= 100_000)) throw new Error('--isolate-rounds 1..1000, --isolate-n 1..100000');
if (!(CPU_BLOCKS > 0 && CPU_BLOCKS <= 1000 && CPU_BLOCK > 0 && CPU_BLOCK <= 1000)) throw new Error('--cpu-blocks 1..1000, --cpu-block 1..1000');
// A scenario's CPU rounds must end within this (bounded in count and in time).
const CPU_RUN_LIMIT_MS = 300_000;

const fixture = benchFixture('lyceum-bench-');
const { dir, dist, vars, scenarios } = fixture;

/** The median of `xs` and its distribution-free 95% interval (order statistics n/2 ∓ 0.98·√n). */
function medianCi(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const n = v.length;
  const lo = Math.max(0, Math.floor(n / 2 - 0.98 * Math.sqrt(n)));
  const hi = Math.min(n - 1, Math.ceil(n / 2 + 0.98 * Math.sqrt(n)) - 1);
  return { median: v[Math.floor(n / 2)], ci: [v[lo], v[hi]] };
}

/** `median [lo, hi]` with `d` decimals. */
const fmtCi = ({ median, ci }, d) => `${median.toFixed(d)} [${ci.map((x) => x.toFixed(d)).join(', ')}]`;

function once(agent, base, p, headers) {
  const u = new URL(base);
  if (u.hostname !== '127.0.0.1') throw new Error(`loopback only: ${base}`);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: u.hostname, port: u.port, path: p, headers, agent, timeout: 30_000 }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve([res.statusCode, Number(process.hrtime.bigint() - t0) / 1e6]));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${p}`)));
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

// ---- workerd CPU per request ------------------------------------------------------

/** µs of worker CPU per request for each server, and the median (with its 95%
 *  interval) of the per-round ratios of each server to the last one (the JS twin):
 *  CPU_BLOCKS rounds in which each server in turn (order rotating) answers CPU_BLOCK
 *  sequential keep-alive requests. */
async function cpuPerRequest(servers, p, headers, expect) {
  const agents = servers.map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    for (const [k, s] of servers.entries()) for (let i = 0; i < 100; i++) await once(agents[k], s.base, p, headers); // warm this path
    const blocks = servers.map(() => []);
    const deadline = Date.now() + CPU_RUN_LIMIT_MS;
    for (let round = 0; round < CPU_BLOCKS; round++) {
      for (let j = 0; j < servers.length; j++) {
        const k = (round + j) % servers.length;
        const before = cpuNs(servers[k].cpu.user);
        for (let i = 0; i < CPU_BLOCK; i++) {
          const [st] = await once(agents[k], servers[k].base, p, headers);
          if (st !== expect) throw new Error(`${p}: HTTP ${st}, expected ${expect}`);
        }
        blocks[k].push(cpuNs(servers[k].cpu.user) - before);
      }
      if (Date.now() > deadline) throw new Error(`CPU rounds over ${CPU_RUN_LIMIT_MS / 1000} s: machine too loaded, lower --cpu-blocks`);
    }
    const usPerRequest = (ns) => ns.reduce((a, b) => a + b, 0) / (ns.length * CPU_BLOCK) / 1000;
    const base = blocks[blocks.length - 1];
    return {
      us: blocks.map(usPerRequest),
      ratios: blocks.map((b) => medianCi(b.map((ns, round) => ns / base[round]))),
    };
  } finally {
    agents.forEach((a) => a.destroy());
  }
}

/** The workers' own CPU per request: the harness (bench/isolate) runs the Rust worker,
 *  the JS twin and a forward-only floor in one isolate against an in-memory ASSETS, and
 *  answers `n` calls of one per HTTP request. The three take turns (rotating order) for
 *  ISOLATE_ROUNDS rounds; CPU is the harness workerd's, around each batch. */
async function isolateCpu(harness, scenario) {
  const names = ['rust', 'js', 'floor'];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const run = async (name, n) => {
    const [st] = await once(agent, harness.base, harnessQuery(name, n, scenario), {});
    if (st !== 200) throw new Error(`harness ${name} ${scenario.path}: HTTP ${st}`);
  };
  try {
    for (const name of names) await run(name, ISOLATE_N); // warm up: caches filled, code optimised
    const us = Object.fromEntries(names.map((n) => [n, []]));
    const deadline = Date.now() + CPU_RUN_LIMIT_MS;
    for (let round = 0; round < ISOLATE_ROUNDS; round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(round + k) % names.length];
        const before = cpuNs(harness.cpu.user);
        await run(name, ISOLATE_N);
        us[name].push((cpuNs(harness.cpu.user) - before) / ISOLATE_N / 1000);
      }
      if (Date.now() > deadline) throw new Error(`isolate rounds over ${CPU_RUN_LIMIT_MS / 1000} s: lower --isolate-rounds`);
    }
    // Per round, each worker's own work: its CPU minus the floor's in the same round.
    const own = (name) => medianCi(us[name].map((x, r) => x - us.floor[r]));
    return {
      total: Object.fromEntries(names.map((n) => [n, medianCi(us[n]).median])),
      rust: own('rust'),
      js: own('js'),
      ratio: medianCi(us.rust.map((x, r) => (x - us.floor[r]) / (us.js[r] - us.floor[r]))),
    };
  } finally {
    agent.destroy();
  }
}

// The JS twin last: ratios are to it. The floor only forwards to the assets: how close
// it comes to the twin shows how much of the end-to-end CPU any worker can change.
const workers = [
  ['rust/wasm', path.join(ROOT, 'edge-worker/wrangler.toml')],
  ['floor', path.join(ROOT, 'bench/floor/wrangler.toml')],
  ['js/webcrypto', path.join(ROOT, 'bench/worker/wrangler.toml')],
];
const servers = [];
const results = {};
const cpu = {};
const isolate = {};
const loadBefore = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const t0 = Date.now();

// Every wrangler started here is stopped, also on Ctrl-C / SIGTERM (each runs in its
// own process group, so a terminal's Ctrl-C reaches only this process).
let stopping = null;
const stopAll = () => (stopping ??= Promise.all(servers.map((s) => s.stop())));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, stopping wrangler…`);
    stopAll().finally(() => process.exit(130));
  });
}

try {
  for (const [name, config] of DO_LATENCY || DO_CPU ? workers : []) {
    servers.push(await startWrangler({ dist, config, devtools: DEVTOOLS, envFile: vars, stateDir: path.join(dir, `state-${name.replace('/', '-')}`) }));
  }
  for (const s of servers) s.cpu = workerdPids(s);
  for (const { label, path: p, headers } of scenarios) {
    if (DO_LATENCY) {
      const lat = await latencies(servers, p, headers);
      // Two alternating rounds per worker, averaged.
      const rps = servers.map(() => 0);
      for (let round = 0; round < 2; round++) {
        for (const k of round ? [...servers.keys()].reverse() : servers.keys()) rps[k] += (await throughput(servers[k].base, p, headers)) / 2;
      }
      workers.forEach(([name], k) => { results[`${label}|${name}`] = { ...lat[k], rps: rps[k] }; });
    }
  }
  if (DO_CPU) {
    for (const { label, path: p, headers } of scenarios) {
      cpu[label] = await cpuPerRequest(servers, p, headers, 200);
      process.stderr.write(`bench: cpu ${label}: ${cpu[label].us.map((us) => us.toFixed(0)).join(' / ')} µs, rust/js ${cpu[label].ratios[0].median.toFixed(3)}\n`);
    }
  }
  if (DO_ISOLATE) {
    const harness = await startHarness(fixture, { devtools: DEVTOOLS });
    servers.push(harness);
    harness.cpu = workerdPids(harness);
    for (const scenario of scenarios) {
      const r = (isolate[scenario.label] = await isolateCpu(harness, scenario));
      process.stderr.write(`bench: own cpu ${scenario.label}: rust ${r.rust.median.toFixed(1)} / js ${r.js.median.toFixed(1)} µs, ratio ${r.ratio.median.toFixed(3)}\n`);
    }
  }
} finally {
  await stopAll();
}
// Nothing of theirs may survive: no process left in any wrangler's group.
const groupAlive = (pgid) => {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
};
for (const s of servers) {
  for (let i = 0; i < 50 && groupAlive(s.pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (groupAlive(s.pid)) throw new Error(`processes of wrangler group ${s.pid} still running`);
}
const loadAfter = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const wasm = fs.readFileSync(path.join(ROOT, 'edge-worker/build/worker/index.wasm'));
const gz = Number(spawnSync('sh', ['-c', 'gzip -9 -c edge-worker/build/worker/index.wasm | wc -c'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim());
const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
console.log(`\nlyceum edge worker benchmark — local wrangler dev (workerd), loopback only`);
console.log(`machine: ${nproc} cores, load average ${loadBefore} at start, ${loadAfter} at end; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`wasm: ${wasm.length} bytes raw, ${gz} bytes gzip -9 (${(gz / 1024).toFixed(1)} KiB)`);
const row = (...c) => console.log(c.map((x, i) => String(x).padEnd(i === 0 ? 31 : 13)).join(' '));
if (DO_CPU) {
  console.log(`\nworkerd CPU per request (schedstat of the workerd running the worker and its assets service): ` +
    `${CPU_BLOCKS} rounds × ${CPU_BLOCK} sequential keep-alive requests per worker, the workers taking turns; ` +
    `ratios to the JS twin = medians of the per-round ratios, with 95% confidence intervals; the floor only forwards to the assets. DevTools ${DEVTOOLS ? 'attached (wrangler dev\'s default)' : 'not attached (as in production; --devtools attaches them)'}.`);
  const line = (...c) => console.log(c.map((x, i) => String(x).padEnd(i === 0 ? 31 : i < 4 ? 13 : 24)).join(' '));
  line('scenario', 'rust µs/req', 'floor µs/req', 'js µs/req', 'rust/js [95% CI]', 'floor/js [95% CI]');
  for (const { label } of scenarios) {
    const c = cpu[label];
    line(label, ...c.us.map((us) => us.toFixed(0)), fmtCi(c.ratios[0], 3), fmtCi(c.ratios[1], 3));
  }
}
if (DO_ISOLATE) {
  console.log(`\nthe workers' own CPU per request (bench/isolate: the Rust worker, the JS twin and a floor that only ` +
    `forwards to ASSETS, in one isolate, against an in-memory ASSETS): ${ISOLATE_ROUNDS} rounds × ${ISOLATE_N} calls each, ` +
    `taking turns; own = µs per call minus the floor's in the same round; medians with 95% confidence intervals.`);
  row('scenario', 'floor µs', 'rust own µs', 'js own µs', 'rust/js own');
  for (const { label } of scenarios) {
    const r = isolate[label];
    console.log([label.padEnd(31), r.total.floor.toFixed(1).padEnd(13), fmtCi(r.rust, 1).padEnd(22), fmtCi(r.js, 1).padEnd(22), fmtCi(r.ratio, 3)].join(' '));
  }
}
if (DO_LATENCY) {
  console.log(`\nlatency: p50/p99 of N=${N} sequential keep-alive requests (workers interleaved), req/s with ${CONC} in flight for ${SECONDS}s × 2 rounds — dominated by wrangler's proxy and machine load`);
  row('scenario', 'worker', 'status', 'p50 ms', 'p99 ms', 'req/s');
  for (const { label } of scenarios) {
    for (const [name] of workers) {
      const r = results[`${label}|${name}`];
      row(label, name, r.status, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(0));
    }
  }
}

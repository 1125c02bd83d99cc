// Benchmark: lyceum's Rust/wasm edge worker vs a JavaScript/WebCrypto twin
// (bench/worker), both on local `wrangler dev` (workerd) over the fixture site.
// Reports per-request latency (p50/p99 of N sequential keep-alive requests) and
// req/s under a bounded concurrency, from loopback only. Not a test.
//
// Latency through `wrangler dev` is dominated by its local proxy and by machine load,
// so it also measures workerd CPU time per request (robust to load): the utime+stime
// (/proc/<pid>/stat) of the workerd process that runs the worker itself — wrangler
// starts two per `dev`: a proxy bound to --port, and the user worker's (bound to an
// ephemeral port, with the inspector) — before and after --cpu-n sequential keep-alive
// requests of one scenario, minus its idle CPU over the same wall time (measured while
// the other worker's run is driven, i.e. under the same machine load), divided by
// --cpu-n. --cpu-reps rounds, rust and js interleaved (order alternating); the median
// is reported. The proxy workerd's CPU per request is shown too (same code for both).
//
//   node bench/run.mjs [--n 500] [--concurrency 8] [--seconds 5]
//                      [--cpu-n 1000] [--cpu-reps 3] [--only latency|cpu]
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
const CPU_N = arg('cpu-n', 1000);
const CPU_REPS = arg('cpu-reps', 3);
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? process.argv[i + 1] : null;
})();
const DO_LATENCY = ONLY !== 'cpu';
const DO_CPU = ONLY !== 'latency';
if (ONLY && !['cpu', 'latency'].includes(ONLY)) throw new Error('--only latency|cpu');
if (!(CPU_N > 0 && CPU_N <= 20000 && CPU_REPS > 0 && CPU_REPS <= 9)) throw new Error('--cpu-n 1..20000, --cpu-reps 1..9');
// A whole CPU run must end within this (bounded in count and in time).
const CPU_RUN_LIMIT_MS = 300_000;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

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

/** utime+stime of a process (all its threads), in clock ticks. */
function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  return Number(f[11]) + Number(f[12]); // utime (14), stime (15)
}

/** The workerd processes in wrangler's process group: the user worker's and the proxy's
 *  (the one whose entry socket is wrangler's --port). Fails unless exactly one of each. */
function workerdPids(server) {
  const r = spawnSync('pgrep', ['-g', String(server.pid), '-x', 'workerd'], { encoding: 'utf8' });
  const pids = r.stdout.trim().split('\n').filter(Boolean).map(Number);
  const cmd = (pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const isProxy = (pid) => cmd(pid).includes(`--socket-addr=entry=127.0.0.1:${server.port}`);
  const user = pids.filter((pid) => !isProxy(pid));
  const proxy = pids.filter(isProxy);
  if (user.length !== 1 || proxy.length !== 1) {
    throw new Error(`expected one user and one proxy workerd in wrangler's group ${server.pid}, found ${JSON.stringify({ user, proxy })}`);
  }
  return { user: user[0], proxy: proxy[0] };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU_N sequential keep-alive requests to one server; workerd ticks of every server
 *  (the others are idle meanwhile: their baseline). */
async function cpuRun(servers, k, p, headers, expect) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 100; i++) await once(agent, servers[k].base, p, headers); // warm this path
    const pids = servers.map((s) => [s.cpu.user, s.cpu.proxy]);
    const before = pids.map((ps) => ps.map(cpuTicks));
    const t0 = process.hrtime.bigint();
    const deadline = Date.now() + CPU_RUN_LIMIT_MS;
    for (let i = 0; i < CPU_N; i++) {
      const [st] = await once(agent, servers[k].base, p, headers);
      if (st !== expect) throw new Error(`${p}: HTTP ${st}, expected ${expect}`);
      if (Date.now() > deadline) throw new Error(`CPU run over ${CPU_RUN_LIMIT_MS / 1000} s: machine too loaded, lower --cpu-n`);
    }
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const after = pids.map((ps) => ps.map(cpuTicks));
    return { wallMs, ticks: after.map((a, j) => a.map((t, i) => t - before[j][i])) };
  } finally {
    agent.destroy();
  }
}

/** µs of workerd CPU per request for each server: [{user, proxy}], median of CPU_REPS. */
async function cpuPerRequest(servers, p, headers, expect) {
  const usPerTick = 1e6 / CLK_TCK;
  const samples = servers.map(() => ({ user: [], proxy: [], wallMs: [] }));
  for (let rep = 0; rep < CPU_REPS; rep++) {
    const order = rep % 2 ? [...servers.keys()].reverse() : [...servers.keys()];
    const runs = [];
    for (const k of order) runs[k] = await cpuRun(servers, k, p, headers, expect);
    for (const k of servers.keys()) {
      // Idle baseline of k: its ticks while another server's run was driven, as a rate,
      // applied to its own run's wall time.
      let idleTicks = [0, 0];
      let idleMs = 0;
      for (const j of servers.keys()) {
        if (j === k) continue;
        idleTicks = idleTicks.map((t, i) => t + runs[j].ticks[k][i]);
        idleMs += runs[j].wallMs;
      }
      const own = runs[k];
      const net = own.ticks[k].map((t, i) => t - (idleTicks[i] * own.wallMs) / idleMs);
      samples[k].user.push((net[0] * usPerTick) / CPU_N);
      samples[k].proxy.push((net[1] * usPerTick) / CPU_N);
      samples[k].wallMs.push(own.wallMs);
      samples[k].idle = (samples[k].idle ?? 0) + idleTicks[0];
    }
  }
  return samples.map((s) => ({
    user: median(s.user),
    userAll: s.user,
    proxy: median(s.proxy),
    msPerReq: median(s.wallMs) / CPU_N,
  }));
}

const workers = [
  ['rust/wasm', path.join(ROOT, 'edge-worker/wrangler.toml')],
  ['js/webcrypto', path.join(ROOT, 'bench/worker/wrangler.toml')],
];
const servers = [];
const results = {};
const cpu = {};
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
  for (const [name, config] of workers) {
    servers.push(await startWrangler({ dist, config, envFile: path.join(dir, 'bench.vars'), stateDir: path.join(dir, `state-${name.replace('/', '-')}`) }));
  }
  for (const s of servers) s.cpu = workerdPids(s);
  for (const [label, p, headers] of scenarios) {
    if (DO_LATENCY) {
      const lat = await latencies(servers, p, headers);
      // Two alternating rounds per worker, averaged.
      const rps = servers.map(() => 0);
      for (let round = 0; round < 2; round++) {
        for (const k of round ? [1, 0] : [0, 1]) rps[k] += (await throughput(servers[k].base, p, headers)) / 2;
      }
      workers.forEach(([name], k) => { results[`${label}|${name}`] = { ...lat[k], rps: rps[k] }; });
    }
  }
  if (DO_CPU) {
    for (const [label, p, headers] of scenarios) {
      const per = await cpuPerRequest(servers, p, headers, 200);
      workers.forEach(([name], k) => { cpu[`${label}|${name}`] = per[k]; });
      process.stderr.write(`bench: cpu ${label}: ${per.map((r) => r.user.toFixed(0)).join(' / ')} µs\n`);
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
  console.log(`\nworkerd CPU per request (utime+stime from /proc, CLK_TCK=${CLK_TCK}, minus idle over the same wall time): ` +
    `median of ${CPU_REPS} runs × ${CPU_N} sequential keep-alive requests, rust and js interleaved. ` +
    `"worker" = the workerd running the worker (+ its assets service); "proxy" = wrangler's proxy workerd (not the gate).`);
  row('scenario', 'rust µs/req', 'js µs/req', 'rust/js', 'rust runs', 'js runs', 'proxy µs r/js', 'ms/req r/js');
  for (const [label] of scenarios) {
    const [r, j] = workers.map(([name]) => cpu[`${label}|${name}`]);
    row(label, r.user.toFixed(0), j.user.toFixed(0), (r.user / j.user).toFixed(2),
      r.userAll.map((x) => x.toFixed(0)).join(','), j.userAll.map((x) => x.toFixed(0)).join(','),
      `${r.proxy.toFixed(0)}/${j.proxy.toFixed(0)}`, `${r.msPerReq.toFixed(1)}/${j.msPerReq.toFixed(1)}`);
  }
}
if (DO_LATENCY) {
  console.log(`\nlatency: p50/p99 of N=${N} sequential keep-alive requests (workers interleaved), req/s with ${CONC} in flight for ${SECONDS}s × 2 rounds — dominated by wrangler's proxy and machine load`);
  row('scenario', 'worker', 'status', 'p50 ms', 'p99 ms', 'req/s');
  for (const [label] of scenarios) {
    for (const [name] of workers) {
      const r = results[`${label}|${name}`];
      row(label, name, r.status, r.p50.toFixed(2), r.p99.toFixed(2), r.rps.toFixed(0));
    }
  }
}

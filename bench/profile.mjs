// Profile (not a test): where the edge worker's own CPU goes, on local `wrangler dev`.
// Starts the benchmark harness (bench/isolate: the Rust worker, its JavaScript twin and
// a forward-only floor in one isolate, against an in-memory ASSETS), takes a V8 sampling
// CPU profile through the inspector while each worker answers N calls of one scenario,
// and prints the self time per function (JS, wasm and workerd's own builtins), heaviest
// first. Loopback only; wrangler is stopped.
//
//   node --experimental-websocket bench/profile.mjs [--scenario allowed|denied|public]
//                                                   [--n 20000] [--top 30] [--interval 50]
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, buildFixture, ensureWorker, request, startWrangler, tempDir, writeDevVars } from '../tests/e2e/lib/harness.mjs';
import { now, sign } from '../tests/e2e/lib/jwt.mjs';

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SCENARIO = opt('scenario', 'allowed');
const N = Number(opt('n', 20000));
const TOP = Number(opt('top', 30));
const INTERVAL_US = Number(opt('interval', 50));
if (!(N > 0 && N <= 100_000)) throw new Error('--n 1..100000');
if (typeof WebSocket === 'undefined') throw new Error('run with node --experimental-websocket');

ensureWorker();
const dir = tempDir('lyceum-profile-');
const dist = buildFixture(dir);
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const [gatedUrl, gatedEntry] = Object.entries(manifest.entries).find(([, e]) => e.teaser);
const secret = 'bench-secret-'.padEnd(48, 'x');
const token = sign('HS256', { sub: 'bench', level: gatedEntry.level, exp: now() + 86400 }, secret);
writeDevVars(path.join(dir, 'bench.vars'), { LYCEUM_JWT_SECRET: secret });
const scenarios = {
  public: ['/about/', {}],
  allowed: [encodeURI(gatedUrl), { Cookie: `lyceum_session=${token}` }],
  denied: [encodeURI(gatedUrl), {}],
};
if (!scenarios[SCENARIO]) throw new Error(`--scenario ${Object.keys(scenarios).join('|')}`);
const [urlPath, headers] = scenarios[SCENARIO];

/** A minimal Chrome DevTools Protocol client over one WebSocket. */
async function cdp(url) {
  // wrangler's proxy wants a local Origin (node's WebSocket sends none).
  const ws = new WebSocket(url, { headers: { Origin: 'http://127.0.0.1' } });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
    else p.resolve(msg.result);
  };
  return {
    send: (method, params = {}) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), 60_000);
      pending.set(++id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject });
      ws.send(JSON.stringify({ id, method, params }));
    }),
    close: () => ws.close(),
  };
}

/** Self time per function of a V8 CPU profile, heaviest first. */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((nodeId, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const f = byId.get(nodeId).callFrame;
    const where = f.url ? path.basename(f.url) : '';
    const key = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return { total, rows: [...self].sort((a, b) => b[1] - a[1]) };
}

/** A CPU profile of `calls` calls of one worker in the harness. */
async function profileWorker(c, harness, name, calls) {
  const q = `/run?worker=${name}&n=${calls}&path=${encodeURIComponent(urlPath)}${headers.Cookie ? `&cookie=${encodeURIComponent(headers.Cookie)}` : ''}`;
  const r0 = await request(harness.base, q.replace(`n=${calls}`, 'n=2000')); // warm up
  if (r0.status !== 200) throw new Error(`harness ${name}: HTTP ${r0.status}`);
  await c.send('Profiler.start');
  const r = await request(harness.base, q, { timeout: 120_000 });
  const { profile } = await c.send('Profiler.stop');
  if (r.status !== 200 || r.body.trim() !== '200') throw new Error(`harness ${name}: HTTP ${r.status} ${r.body}`);
  return selfTimes(profile);
}

const vars = path.join(dir, 'isolate.vars');
writeDevVars(vars, { LYCEUM_JWT_SECRET: secret, MANIFEST: JSON.stringify(manifest) });
const harness = await startWrangler({ config: path.join(ROOT, 'bench/isolate/wrangler.toml'), envFile: vars, stateDir: path.join(dir, 'state') });
try {
  // wrangler's inspector proxy: it forwards to the harness worker's isolate.
  const [target] = await (await fetch(`http://127.0.0.1:${harness.inspector}/json`)).json();
  const c = await cdp(target.webSocketDebuggerUrl);
  await c.send('Profiler.enable');
  await c.send('Profiler.setSamplingInterval', { interval: INTERVAL_US });
  for (const name of ['rust', 'js', 'floor']) {
    const { total, rows } = await profileWorker(c, harness, name, N);
    console.log(`\n${name}: ${SCENARIO} ${urlPath}, ${N} calls in the harness; ${(total / N).toFixed(1)} µs/call sampled (profiler overhead included)`);
    for (const [fn, us] of rows.slice(0, TOP)) {
      console.log(`${(us / N).toFixed(2).padStart(9)} µs/call  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${fn}`);
    }
  }
  c.close();
} finally {
  await harness.stop();
}

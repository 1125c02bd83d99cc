// Profile (not a test): where the edge worker's CPU goes on local `wrangler dev`.
// Starts the Rust worker and its JavaScript twin (bench/worker) over the fixture site,
// takes a V8 sampling CPU profile of each through workerd's inspector while it answers
// N sequential requests of one scenario, and prints the self time per function (JS,
// wasm and workerd's own builtins), heaviest first. Loopback only; wrangler is stopped.
//
//   node --experimental-websocket bench/profile.mjs [--scenario allowed|denied|public]
//                                                   [--n 2000] [--top 30] [--interval 50]
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
const N = Number(opt('n', 2000));
const TOP = Number(opt('top', 30));
const INTERVAL_US = Number(opt('interval', 50));
if (!(N > 0 && N <= 20_000)) throw new Error('--n 1..20000');
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

async function profileOne(name, config) {
  const server = await startWrangler({ dist, config, envFile: path.join(dir, 'bench.vars'), stateDir: path.join(dir, `state-${name}`) });
  try {
    // wrangler's inspector proxy: it forwards to the user worker's isolate only.
    const [target] = await (await fetch(`http://127.0.0.1:${server.inspector}/json`)).json();
    for (let i = 0; i < 200; i++) await request(server.base, urlPath, { headers }); // warm up
    const c = await cdp(target.webSocketDebuggerUrl);
    await c.send('Profiler.enable');
    await c.send('Profiler.setSamplingInterval', { interval: INTERVAL_US });
    await c.send('Profiler.start');
    for (let i = 0; i < N; i++) {
      const r = await request(server.base, urlPath, { headers });
      if (r.status !== 200) throw new Error(`${name} ${urlPath}: HTTP ${r.status}`);
    }
    const { profile } = await c.send('Profiler.stop');
    c.close();
    return selfTimes(profile);
  } finally {
    await server.stop();
  }
}

const workers = [
  ['rust', path.join(ROOT, 'edge-worker/wrangler.toml')],
  ['js', path.join(ROOT, 'bench/worker/wrangler.toml')],
];
for (const [name, config] of workers) {
  const { total, rows } = await profileOne(name, config);
  console.log(`\n${name}: ${SCENARIO} ${urlPath}, ${N} requests; sampled ${(total / 1000).toFixed(0)} ms in the isolate (${(total / N).toFixed(1)} µs/request)`);
  for (const [fn, us] of rows.slice(0, TOP)) {
    console.log(`${(us / N).toFixed(2).padStart(9)} µs/req  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${fn}`);
  }
}

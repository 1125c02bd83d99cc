// Profile (not a test): where the edge worker's own CPU goes, on local `wrangler dev`.
// Starts the benchmark harness (bench/isolate: the Rust worker, its JavaScript twin and
// a forward-only floor in one isolate, against an in-memory ASSETS), takes a V8 sampling
// CPU profile through the inspector while each worker answers N calls of one scenario,
// and prints the self time per function (JS, wasm and workerd's own builtins), heaviest
// first. Loopback only; wrangler is stopped.
//
//   node --experimental-websocket bench/profile.mjs [--scenario allowed|denied|public]
//                                                   [--n 20000] [--top 30] [--interval 50]
import path from 'node:path';
import { request } from '../tests/e2e/lib/harness.mjs';
import { benchFixture, harnessQuery, startHarness } from './fixture.mjs';

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

const fixture = benchFixture('lyceum-profile-');
const scenario = fixture.scenarios.find((s) => s.key === SCENARIO);
if (!scenario) throw new Error(`--scenario ${fixture.scenarios.map((s) => s.key).join('|')}`);

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
  const r0 = await request(harness.base, harnessQuery(name, 2000, scenario)); // warm up
  if (r0.status !== 200) throw new Error(`harness ${name}: HTTP ${r0.status}`);
  await c.send('Profiler.start');
  const r = await request(harness.base, harnessQuery(name, calls, scenario), { timeout: 120_000 });
  const { profile } = await c.send('Profiler.stop');
  if (r.status !== 200 || r.body.trim() !== '200') throw new Error(`harness ${name}: HTTP ${r.status} ${r.body}`);
  return selfTimes(profile);
}

const harness = await startHarness(fixture);
try {
  // wrangler's inspector proxy: it forwards to the harness worker's isolate.
  const [target] = await (await fetch(`http://127.0.0.1:${harness.inspector}/json`)).json();
  const c = await cdp(target.webSocketDebuggerUrl);
  await c.send('Profiler.enable');
  await c.send('Profiler.setSamplingInterval', { interval: INTERVAL_US });
  for (const name of ['rust', 'js', 'floor']) {
    const { total, rows } = await profileWorker(c, harness, name, N);
    console.log(`\n${name}: ${scenario.label} ${scenario.path}, ${N} calls in the harness; ${(total / N).toFixed(1)} µs/call sampled (profiler overhead included)`);
    for (const [fn, us] of rows.slice(0, TOP)) {
      console.log(`${(us / N).toFixed(2).padStart(9)} µs/call  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${fn}`);
    }
  }
  c.close();
} finally {
  await harness.stop();
}

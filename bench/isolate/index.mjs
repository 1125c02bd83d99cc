// Benchmark harness (not deployed, not a test): runs lyceum's Rust/wasm edge worker, its
// JavaScript twin (bench/worker) and a forward-only floor in ONE workerd isolate, against
// an in-memory stand-in for the ASSETS binding, so the CPU measured is the workers' own
// per-request work and not the local assets service's (which dominates end to end).
//
// GET /run?worker=rust|js|floor&path=/p&n=N[&cookie=…] calls that worker's `fetch` N
// times in sequence, each with a fresh Request, and answers the last status.
import rust from '../../edge-worker/entry.mjs';
import js from '../worker/src/index.js';
import floor from '../floor/index.mjs';

const workers = { rust, js, floor };

const PAGE = `<!doctype html><html><head><title>page</title></head><body>${'<p>text</p>'.repeat(200)}</body></html>`;
const PAGE_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'public, max-age=0, must-revalidate', ETag: '"bench"' };

/** The ASSETS stand-in: the manifest at its URL, one page everywhere else, each time a
 *  new Response as a fetch would give. Every worker makes one call per request. */
function assets(manifest) {
  return {
    fetch(input) {
      const url = typeof input === 'string' ? input : input.url;
      const body = url.endsWith('/_gated/manifest.json') ? manifest : PAGE;
      return Promise.resolve(new Response(body, { status: 200, headers: PAGE_HEADERS }));
    },
  };
}

let envs;

export default {
  async fetch(request, env) {
    // One env per worker for the isolate's life, as the runtime gives a worker.
    envs ??= Object.fromEntries(Object.keys(workers).map((name) => [name, {
      ASSETS: assets(env.MANIFEST),
      LYCEUM_JWT_SECRET: env.LYCEUM_JWT_SECRET,
    }]));
    const q = new URL(request.url).searchParams;
    const name = q.get('worker');
    const worker = workers[name];
    const n = Number(q.get('n'));
    const path = q.get('path') ?? '/';
    const cookie = q.get('cookie');
    if (!worker || !(n > 0 && n <= 100_000)) return new Response('bad request\n', { status: 400 });
    const init = cookie ? { headers: { Cookie: cookie } } : undefined;
    let status = 0;
    for (let i = 0; i < n; i++) {
      const resp = await worker.fetch(new Request(`https://bench.invalid${path}`, init), envs[name]);
      status = resp.status;
    }
    return new Response(`${status}\n`);
  },
};

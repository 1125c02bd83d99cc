// Worker invocations through Cloudflare's router (`wrangler dev` runs the same one) with
// the generated `run_worker_first` list: public files never run the Worker, gated URLs run
// it once, and encoded spellings of the private tree get the assets router's free 307 to
// the canonical path, which runs the Worker and answers 404. The test-only counting entry
// (lib/counting-entry.mjs) logs one line per Worker run; a request to a sentinel path,
// logged after everything before it, bounds each count (no sleeping).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  buildFixture, ensureWorker, fixtureCanaries, listFiles, request, startWrangler, tempDir, waitFor, writeDevVars,
} from './lib/harness.mjs';
import { now, sign } from './lib/jwt.mjs';

const dir = tempDir('lyceum-e2e-runs-');
ensureWorker();
const dist = buildFixture(dir);
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const entries = Object.entries(manifest.entries).map(([url, e]) => ({ url, ...e }));
const teasers = new Set(entries.map((e) => e.teaser).filter(Boolean));
const files = listFiles(dist);
const publicFiles = files.filter((f) => !f.startsWith('_gated/') && !teasers.has(f));
const CANARIES = fixtureCanaries();
const secret = 'e2e-invocations-secret-0123456789abcdef';
writeDevVars(path.join(dir, '.dev.vars'), { LYCEUM_JWT_SECRET: secret });
const member = sign('HS256', { sub: 'm@example.com', sid: 's', level: manifest.levels.at(-1), exp: now() + 3600 }, secret,
  { header: { typ: 'lyceum-session' } });

let server;
before(async () => {
  server = await startWrangler({ dist, envFile: path.join(dir, '.dev.vars'), stateDir: path.join(dir, 'state'), count: true });
});
after(async () => server?.stop());

const wire = (url) => url.split('/').map(encodeURIComponent).join('/');
let sentinels = 0;
/** The Worker runs (pathnames) caused by `fn`, closed by a sentinel request. */
async function runsDuring(fn) {
  const start = server.invocations().length;
  await fn();
  const mark = `/_lyceum/sentinel-${sentinels++}`;
  assert.equal((await request(server.base, mark)).status, 404);
  const seen = await waitFor(() => {
    const all = server.invocations().slice(start);
    const i = all.indexOf(mark);
    return i >= 0 && all.slice(0, i);
  }, { timeout: 15_000, what: `the Worker's log line for ${mark}` });
  return seen;
}

function clean(r, what) {
  for (const c of CANARIES) assert.ok(!r.body.includes(c), `${what}: leaks ${c}`);
}

/** A page view as a browser makes it without running scripts: the page and its css/js. */
async function pageView(p, headers = {}) {
  const r = await request(server.base, p, { headers });
  assert.equal(r.status, 200, p);
  const subs = [...r.body.matchAll(/<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="(\/[^"/][^"]*)"/g)].map((m) => m[1]);
  assert.ok(subs.length > 0, `${p}: a page with css/js`);
  for (const s of subs) assert.equal((await request(server.base, s, { headers })).status, 200, s);
  return r;
}

test('a crawl of every public file (own and pretty URL) runs the Worker zero times', async () => {
  assert.ok(publicFiles.length > 10);
  let served = 0;
  const runs = await runsDuring(async () => {
    for (const f of publicFiles) {
      const url = '/' + wire(f);
      const pretty = url.replace(/(^|\/)index\.html$/, '$1').replace(/\.html$/, '');
      for (const p of new Set([url, pretty])) {
        const r = await request(server.base, p);
        clean(r, p);
        assert.ok(r.status < 500, `${p}: ${r.status}`);
        if (r.status === 200 && r.bytes.equals(fs.readFileSync(path.join(dist, f)))) served++;
      }
    }
  });
  assert.deepEqual(runs, []);
  assert.ok(served >= publicFiles.length, `${served} of ${publicFiles.length} files served as themselves`);
});

test('every gated URL runs the Worker exactly once, in each of its spellings', async () => {
  for (const e of entries) {
    const u = wire(e.url);
    const forms = u.endsWith('/') ? [u, u.slice(0, -1), `${u}index.html`] : [u];
    for (const p of forms) {
      const runs = await runsDuring(async () => {
        const r = await request(server.base, p);
        clean(r, p);
        assert.equal(r.status, e.teaser ? 200 : 404, p);
      });
      assert.deepEqual(runs, [p], `${p}: one Worker run`);
    }
  }
});

test('encoded spellings of the private tree: a free 307 to the canonical path, then the Worker\'s 404', async () => {
  for (const f of files.filter((x) => x.startsWith('_gated/'))) {
    const rest = wire(f.slice('_gated/'.length));
    for (const p of [`/%5Fgated/${rest}`, `/%5fgated/${rest}`, `//_gated/${rest}`, `/_gated%2F${rest}`]) {
      let location;
      const first = await runsDuring(async () => {
        const r = await request(server.base, p, { headers: { Cookie: `__Host-lyceum_session=${member}` } });
        clean(r, p);
        assert.equal(r.status, 307, `${p}: ${r.status}`);
        location = r.headers.location;
      });
      assert.deepEqual(first, [], `${p}: the redirect is the assets router's`);
      assert.match(location, /^\/_gated\//, `${p} → ${location}`);
      const then = await runsDuring(async () => {
        const r = await request(server.base, location, { headers: { Cookie: `__Host-lyceum_session=${member}` } });
        clean(r, location);
        assert.equal(r.status, 404, location);
      });
      assert.equal(then.length, 1, `${location}: the Worker answers`);
    }
  }
});

test('per 1,000 page views: public 0 Worker runs, gated 1,000 (measured; README "Cost")', async () => {
  const views = 1000;
  const publicPages = publicFiles.filter((f) => f.endsWith('index.html') && !f.startsWith('_lyceum/'))
    .map((f) => '/' + wire(f).replace(/index\.html$/, ''));
  const gatedPages = entries.filter((e) => e.teaser).map((e) => wire(e.url));
  const signedIn = { Cookie: `__Host-lyceum_session=${member}; lyceum_signed_in=1` };
  // A signed-in member's page view also makes the theme's one /_lyceum/me (lyceum.js asks
  // only when the lyceum_signed_in hint is set; tests/browser checks that side).
  const count = async (pages, headers = {}) => (await runsDuring(async () => {
    for (let i = 0; i < views; i++) {
      await pageView(pages[i % pages.length], headers);
      if (headers === signedIn) assert.equal((await request(server.base, '/_lyceum/me', { headers })).status, 200);
    }
  })).length;
  const anonPublic = await count(publicPages);
  const anonGated = await count(gatedPages);
  const memberPublic = await count(publicPages, signedIn);
  const memberGated = await count(gatedPages, signedIn);
  console.log(`# Worker runs per ${views} page views (page + css/js): anonymous public ${anonPublic}, anonymous gated ${anonGated}, ` +
    `signed-in public ${memberPublic}, signed-in gated ${memberGated}`);
  assert.equal(anonPublic, 0);
  assert.equal(anonGated, views);
  assert.equal(memberPublic, views);
  assert.equal(memberGated, 2 * views);
});

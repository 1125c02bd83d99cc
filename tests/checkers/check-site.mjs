#!/usr/bin/env node
// check-site.mjs DIST — run checkers written by others over a built bundle:
//
//   feeds   DIST/atom.xml against RFC 4287's RELAX NG schema and DIST/sitemap.xml against
//           the sitemaps.org XSD (shared/external/feeds-sitemaps/validate-feeds.sh)
//   vnu     the Nu Html Checker on every HTML file of the bundle, public and _gated/
//   axe     axe-core (WCAG 2.1 A/AA, fail on serious) in headless Chromium on every public
//           page (teasers included) and every full gated page under _gated/, in a desktop
//           and a phone viewport (tests/checkers/run-axe.mjs, shared's driver + viewports)
//
// The bundle is served over loopback by two static servers: DIST without _gated/ (what
// anyone gets) and DIST/_gated/ over DIST (the full pages with the public style sheet and
// script, as a member gets them). No cookie is sent, so the script runs as for an
// anonymous reader.
//
// Each checker prints its own lines and its closing "N passed, N failed" (files or pages);
// the last line sums them: "checkers: N passed, N failed". Exit 1 if any checker failed.
//
//   --only=feeds,vnu,axe   run a subset
//   $LYCEUM_SHARED          the shared folder (default: ../shared beside the repository)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = path.resolve(process.env.LYCEUM_SHARED ?? path.join(ROOT, '../shared'));
const EXTERNAL = path.join(SHARED, 'external');
/** A desktop window and a phone: what fits the one may scroll on the other. */
const VIEWPORTS = '1280x720,360x740';
const VNU_JAR = path.join(ROOT, 'node_modules/vnu-jar/build/dist/vnu.jar');

const args = process.argv.slice(2);
const only = (args.find((a) => a.startsWith('--only=')) ?? '--only=feeds,vnu,axe').slice(7).split(',');
const dist = args.find((a) => !a.startsWith('--'));
if (!dist || !fs.existsSync(path.join(dist, 'index.html'))) {
  console.error('usage: check-site.mjs DIST [--only=feeds,vnu,axe]  (DIST: a built bundle)');
  process.exit(2);
}
for (const f of ['feeds-sitemaps/validate-feeds.sh']) {
  if (!fs.existsSync(path.join(EXTERNAL, f))) {
    console.error(`missing ${path.join(EXTERNAL, f)}: set LYCEUM_SHARED to the shared folder`);
    process.exit(2);
  }
}

/** Every file under `dir` (relative paths, `/`-separated), sorted. */
function files(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...files(dir, p));
    else out.push(p);
  }
  return out.sort();
}

/** Run a command with output shown as it comes; resolves to {code, out}. */
function run(cmd, argv, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    const onData = (stream) => (c) => { out += c; stream.write(c); };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('error', (e) => resolve({ code: 127, out: `${out}${e.message}\n` }));
    child.on('close', (code, sig) => resolve({ code: code ?? 128, out, sig }));
  });
}

/** The counts of a tool's closing "N passed, N failed" line. */
function counts(out) {
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)].pop();
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : null;
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript',
  '.svg': 'image/svg+xml', '.xml': 'application/xml', '.json': 'application/json', '.txt': 'text/plain' };

/** A static file server on 127.0.0.1 over `dirs`, the first that has the file wins
 *  (pretty URLs: `/a/` → `a/index.html`). `/_gated/` answers 404, as the gate does. */
function serve(...dirs) {
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
    } catch {
      rel = '\0';
    }
    if (rel.endsWith('/') || rel === '') rel += 'index.html';
    const parts = rel.split('/');
    const file = parts.includes('..') || parts[0] === '_gated' ? null
      : dirs.map((d) => path.join(d, rel)).find((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile());
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}

/** `a/b/index.html` → `/a/b/`, `404.html` → `/404.html`, percent-encoded. */
function urlOf(rel) {
  const p = rel.endsWith('/index.html') ? rel.slice(0, -'index.html'.length) : rel === 'index.html' ? '' : rel;
  return encodeURI(`/${p}`);
}

const DIST = path.resolve(dist);
const all = files(DIST);
const html = all.filter((f) => f.endsWith('.html'));
const results = {};

if (only.includes('feeds')) {
  console.log('\n-- feeds: atom.xml (RFC 4287 RELAX NG) and sitemap.xml (sitemaps.org XSD)');
  const r = await run('bash', [path.join(EXTERNAL, 'feeds-sitemaps/validate-feeds.sh'), DIST]);
  results.feeds = { ...(counts(r.out) ?? { passed: 0, failed: 1 }), ok: r.code === 0 };
}

if (only.includes('vnu')) {
  console.log(`\n-- vnu: the Nu Html Checker on ${html.length} HTML files (public, teasers, _gated/)`);
  if (!fs.existsSync(VNU_JAR)) {
    console.log(`FAIL setup: ${VNU_JAR} missing (scripts/setup.sh installs it)`);
    results.vnu = { passed: 0, failed: 1, ok: false };
  } else {
    const r = await run('java', ['-jar', VNU_JAR, '--errors-only', '--format', 'gnu',
      ...html.map((f) => path.join(DIST, f))], { stdio: ['ignore', 'pipe', 'pipe'] });
    // gnu format: "file:PATH":LINE.COL-LINE.COL: error: MESSAGE (errors only)
    const bad = new Set();
    for (const m of r.out.matchAll(/^"file:([^"]+)":.*?: error: /gm)) bad.add(path.relative(DIST, decodeURI(m[1])));
    for (const f of html) console.log(`${bad.has(f) ? 'FAIL' : 'PASS'} ${f}`);
    const unattributed = r.code !== 0 && bad.size === 0;
    if (unattributed) console.log(`FAIL vnu exited ${r.code} without naming a file`);
    const failed = bad.size + (unattributed ? 1 : 0);
    console.log(`${html.length - bad.size} passed, ${failed} failed`);
    results.vnu = { passed: html.length - bad.size, failed, ok: r.code === 0 && failed === 0 };
  }
}

if (only.includes('axe')) {
  const gated = html.filter((f) => f.startsWith('_gated/'));
  const pub = html.filter((f) => !f.startsWith('_gated/'));
  // What anyone gets, and what a member gets: the full pages over the public files
  // (the pages' style sheet and script are public).
  const site = await serve(DIST);
  const full = await serve(path.join(DIST, '_gated'), DIST);
  const urls = [...pub.map((f) => site.base + urlOf(f)),
    ...gated.map((f) => full.base + urlOf(f.slice('_gated/'.length)))];
  console.log(`\n-- axe: WCAG 2.1 AA in Chromium, ${pub.length} public pages and ${gated.length} full gated pages, at ${VIEWPORTS}`);
  const r = await run('node', [path.join(ROOT, 'tests/checkers/run-axe.mjs'), '--fail-on=serious',
    `--viewports=${VIEWPORTS}`, ...urls]);
  site.close();
  full.close();
  results.axe = { ...(counts(r.out) ?? { passed: 0, failed: 1 }), ok: r.code === 0 };
}

let passed = 0, failed = 0;
console.log('');
for (const [name, r] of Object.entries(results)) {
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${name}: ${r.passed} passed, ${r.failed} failed`);
  passed += r.passed;
  failed += r.failed + (r.ok || r.failed ? 0 : 1);
}
console.log(`checkers: ${passed} passed, ${failed} failed`);
process.exit(Object.values(results).every((r) => r.ok) ? 0 : 1);

#!/usr/bin/env node
// run-axe.mjs — run axe-core in Debian's headless Chromium (driven by
// playwright-core) against a list of URLs and report violations by impact.
//
// lyceum's copy of ../shared/external/a11y-html/run-axe.mjs (written for this project's
// acceptance tests), with one addition: --viewports, because a table or code block that
// fits a desktop window scrolls on a phone (axe's scrollable-region-focusable).
//
//   node run-axe.mjs [options] URL...
//   node run-axe.mjs [options] --urls urls.txt      (one URL a line, # comments)
//
// Options
//   --fail-on=LEVEL   minor|moderate|serious|critical|none (default: serious):
//                     exit 1 if any violation at LEVEL or above is found
//   --tags=LIST       axe rule tags (default: wcag2a,wcag2aa,wcag21a,wcag21aa)
//                     add best-practice for the extra rules (region, heading-order…)
//   --json=FILE       also write the full per-URL results as JSON
//   --chromium=PATH   browser binary (default: $CHROMIUM or /usr/bin/chromium)
//   --timeout=MS      navigation timeout per URL (default 15000)
//   --viewports=LIST  WxH sizes, each URL is checked at each (default 1280x720)
//
// Needs, resolvable from this script's folder or the current folder:
//   npm install axe-core playwright-core
// and the Debian package `chromium`. Nothing is downloaded at run time; the
// browser is started with background networking off, so it works with no
// network beyond the local server under test.
//
// Output: one line per URL, "URL  critical=N serious=N moderate=N minor=N",
// then one indented line per violation (impact, rule id, node count, help),
// then a closing line "N passed, N failed" counting URLs (a URL fails if it has
// a violation at or above --fail-on, or if it did not load).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
function req(name) {
  for (const base of [here, process.cwd()]) {
    try { return createRequire(path.join(base, 'noop.js'))(name); } catch {}
  }
  throw new Error(`cannot find module ${name}: run "npm install axe-core playwright-core" here or in ${here}`);
}
function resolve(name) {
  for (const base of [here, process.cwd()]) {
    try { return createRequire(path.join(base, 'noop.js')).resolve(name); } catch {}
  }
  throw new Error(`cannot resolve ${name}`);
}

const LEVELS = ['minor', 'moderate', 'serious', 'critical'];
const args = process.argv.slice(2);
const opt = { failOn: 'serious', tags: 'wcag2a,wcag2aa,wcag21a,wcag21aa', json: null,
  chromium: process.env.CHROMIUM || '/usr/bin/chromium', timeout: 15000, viewports: '1280x720' };
const urls = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const [k, v] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
  const val = () => (v !== null ? v : args[++i]);
  if (k === '--fail-on') opt.failOn = val();
  else if (k === '--tags') opt.tags = val();
  else if (k === '--json') opt.json = val();
  else if (k === '--chromium') opt.chromium = val();
  else if (k === '--timeout') opt.timeout = Number(val());
  else if (k === '--viewports') opt.viewports = val();
  else if (k === '--urls') {
    for (const line of readFileSync(val(), 'utf8').split('\n')) {
      const t = line.trim();
      if (t && !t.startsWith('#')) urls.push(t);
    }
  } else if (k === '-h' || k === '--help') {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 34).join('\n'));
    process.exit(0);
  } else urls.push(a);
}
if (!urls.length) { console.error('no URLs given (see --help)'); process.exit(2); }
if (opt.failOn !== 'none' && !LEVELS.includes(opt.failOn)) { console.error(`bad --fail-on ${opt.failOn}`); process.exit(2); }
if (!existsSync(opt.chromium)) { console.error(`no browser at ${opt.chromium} (apt-get install chromium)`); process.exit(2); }

const { chromium } = req('playwright-core');
const axeSource = readFileSync(resolve('axe-core/axe.min.js'), 'utf8');
const threshold = opt.failOn === 'none' ? Infinity : LEVELS.indexOf(opt.failOn);

const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'],
});
const viewports = opt.viewports.split(',').map((v) => {
  const [width, height] = v.trim().split('x').map(Number);
  if (!(width > 0 && height > 0)) { console.error(`bad --viewports ${opt.viewports}`); process.exit(2); }
  return { width, height };
});
const results = [];
let passed = 0, failed = 0;
try {
  for (const viewport of viewports) {
    const context = await browser.newContext({ viewport });
    const size = viewports.length > 1 ? ` @${viewport.width}x${viewport.height}` : '';
    for (const url of urls) {
      const page = await context.newPage();
      const rec = { url, viewport, ok: false, counts: { critical: 0, serious: 0, moderate: 0, minor: 0 }, violations: [] };
      try {
        const resp = await page.goto(url, { waitUntil: 'load', timeout: opt.timeout });
        if (!resp || resp.status() >= 400) throw new Error(`HTTP ${resp ? resp.status() : 'no response'}`);
        await page.addScriptTag({ content: axeSource });
        const tags = opt.tags.split(',').map(s => s.trim()).filter(Boolean);
        const r = await page.evaluate(async (tags) =>
          // eslint-disable-next-line no-undef
          await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), tags);
        rec.violations = r.violations.map(v => ({ id: v.id, impact: v.impact || 'minor', help: v.help,
          helpUrl: v.helpUrl, nodes: v.nodes.map(n => ({ target: n.target, html: n.html.slice(0, 200) })) }));
        for (const v of rec.violations) rec.counts[v.impact] = (rec.counts[v.impact] || 0) + 1;
        rec.ok = !rec.violations.some(v => LEVELS.indexOf(v.impact) >= threshold);
      } catch (e) {
        rec.error = String(e && e.message || e).split('\n')[0];
      }
      await page.close();
      results.push(rec);
      const c = rec.counts;
      console.log(`${rec.ok ? 'PASS' : 'FAIL'} ${url}${size}  critical=${c.critical} serious=${c.serious} moderate=${c.moderate} minor=${c.minor}` +
        (rec.error ? `  error: ${rec.error}` : ''));
      const sorted = [...rec.violations].sort((a, b) => LEVELS.indexOf(b.impact) - LEVELS.indexOf(a.impact));
      for (const v of sorted) console.log(`    ${v.impact.padEnd(8)} ${v.id} (${v.nodes.length} node${v.nodes.length === 1 ? '' : 's'}): ${v.help}`);
      rec.ok ? passed++ : failed++;
    }
    await context.close();
  }
} finally {
  await browser.close();
}
if (opt.json) writeFileSync(opt.json, JSON.stringify({ axe: req('axe-core/package.json').version, tags: opt.tags, failOn: opt.failOn, results }, null, 2));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

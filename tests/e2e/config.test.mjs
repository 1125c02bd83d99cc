// The deployed configuration's security-critical lines. edge-worker/wrangler.toml holds
// everything but the assets; scripts/worker-config.mjs appends the [assets] section with the
// `run_worker_first` list `lyceum build` computed. Without `/_gated/*` in that list,
// Cloudflare would serve the private tree's files before the worker runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { ROOT, WRANGLER_TOML, buildFixture, parseToml, tempDir } from './lib/harness.mjs';
import { FIXED, RULES_FILE, renderConfig } from '../../scripts/worker-config.mjs';

const template = fs.readFileSync(WRANGLER_TOML, 'utf8');
const config = parseToml(template);
const dir = tempDir('lyceum-config-');
const dist = buildFixture(dir);
const rendered = renderConfig({ dist, configDir: path.dirname(WRANGLER_TOML) });

/** The `run_worker_first = [ … ]` list of a rendered config. */
function runWorkerFirst(text) {
  const m = text.match(/^run_worker_first = \[\n([\s\S]*?)\n\]$/m);
  assert.ok(m, 'a run_worker_first list');
  return JSON.parse(`[${m[1].replace(/,\s*$/, '')}]`);
}

test('wrangler.toml configures no assets: deployed alone, it serves no file without the worker', () => {
  const code = template.replace(/#.*$/gm, '');
  assert.doesNotMatch(code, /^\s*\[assets\]/m);
  assert.doesNotMatch(code, /run_worker_first/);
});

test('the generated config runs the worker first for exactly the build\'s list, /_gated/* first', () => {
  const routes = JSON.parse(fs.readFileSync(path.join(dist, RULES_FILE), 'utf8'));
  const list = runWorkerFirst(rendered);
  assert.deepEqual(list, routes.run_worker_first);
  assert.deepEqual(list.slice(0, 2), FIXED);
  assert.ok(list.includes('/_gated/*'), '/_gated/* in the deployed rules');
  assert.ok(list.length <= 100 && list.every((r) => r.length <= 100 && /^!?\//.test(r)), 'within Cloudflare\'s limits');
  assert.ok(!list.some((r) => r.startsWith('!/_gated') || r === '!/*'), 'no negative rule over the private tree');
  assert.equal(routes.wide, false);
});

test('the generated config\'s assets are the bundle behind the ASSETS binding, with the router the rules assume', () => {
  const assets = parseToml(rendered).assets;
  assert.equal(path.resolve(path.dirname(WRANGLER_TOML), assets.directory), path.resolve(dist));
  assert.equal(assets.binding, 'ASSETS');
  assert.equal(assets.not_found_handling, '404-page');
  assert.equal(assets.html_handling, 'auto-trailing-slash');
});

test('a list without /_gated/* (or over the limits) is refused, not deployed', () => {
  const bad = path.join(dir, 'bad');
  fs.cpSync(dist, bad, { recursive: true });
  const file = path.join(bad, RULES_FILE);
  const routes = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const [why, rules] of [
    ['/_gated/\\* is missing', routes.run_worker_first.filter((r) => r !== '/_gated/*')],
    ['/_lyceum/\\* is missing', routes.run_worker_first.filter((r) => r !== '/_lyceum/*')],
    ['over Cloudflare\'s 100', [...FIXED, ...Array.from({ length: 99 }, (_, i) => `/x${i}/*`)]],
    ['bad rule', [...FIXED, `/${'a'.repeat(100)}`]],
  ]) {
    fs.writeFileSync(file, JSON.stringify({ ...routes, run_worker_first: rules }));
    assert.throws(() => renderConfig({ dist: bad }), new RegExp(why));
  }
  fs.rmSync(path.join(bad, RULES_FILE));
  assert.throws(() => renderConfig({ dist: bad }), /ENOENT/);
});

test('publish.yml deploys with exactly the generated config', () => {
  const wf = fs.readFileSync(path.join(ROOT, '.github/workflows/publish.yml'), 'utf8');
  assert.match(wf, /node scripts\/worker-config\.mjs/);
  assert.match(wf, /wrangler deploy --config wrangler\.generated\.toml/);
  assert.doesNotMatch(wf, /--assets/);
});

test('wrangler.toml: main is the JS entry over worker-build\'s output, date within the bundled workerd', () => {
  assert.equal(config.main, 'entry.mjs');
  assert.match(config.compatibility_date, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(config.compatibility_date <= '2026-04-26', config.compatibility_date);
});

test('wrangler.toml: no secret material', () => {
  const text = template.replace(/#.*$/gm, '');
  assert.doesNotMatch(text, /LYCEUM_JWT_SECRET\s*=|LYCEUM_JWT_JWKS\s*=/);
});

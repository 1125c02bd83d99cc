// The deployed configuration's security-critical lines. Without `run_worker_first`,
// Cloudflare serves a matching static file (e.g. _gated/…) before the worker runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import test from 'node:test';
import { WRANGLER_TOML, parseToml } from './lib/harness.mjs';

const config = parseToml(fs.readFileSync(WRANGLER_TOML, 'utf8'));

test('wrangler.toml: the worker runs before any static asset', () => {
  assert.equal(config.assets?.run_worker_first, true);
});

test('wrangler.toml: assets are the lyceum bundle behind the ASSETS binding', () => {
  assert.equal(config.assets.directory, '../dist');
  assert.equal(config.assets.binding, 'ASSETS');
  assert.equal(config.assets.not_found_handling, '404-page');
});

test('wrangler.toml: main is the JS entry over worker-build\'s output, date within the bundled workerd', () => {
  assert.equal(config.main, 'entry.mjs');
  assert.match(config.compatibility_date, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(config.compatibility_date <= '2026-04-26', config.compatibility_date);
});

test('wrangler.toml: no secret material', () => {
  const text = fs.readFileSync(WRANGLER_TOML, 'utf8').replace(/#.*$/gm, '');
  assert.doesNotMatch(text, /LYCEUM_JWT_SECRET\s*=|LYCEUM_JWT_JWKS\s*=/);
});

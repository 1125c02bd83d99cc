// What every worker benchmark starts from: the fixture site built with the real
// `lyceum` binary, an HS256 secret and a member token for one gated page, and the three
// scenarios (public page, gated page allowed, gated page denied).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, buildFixture, ensureWorker, startWrangler, tempDir, writeDevVars } from '../tests/e2e/lib/harness.mjs';
import { now, sign } from '../tests/e2e/lib/jwt.mjs';

/** Build the fixture into a temp dir (`prefix`) and write the workers' vars file. */
export function benchFixture(prefix) {
  ensureWorker();
  const dir = tempDir(prefix);
  const dist = buildFixture(dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
  const [gatedUrl, gatedEntry] = Object.entries(manifest.entries).find(([, e]) => e.teaser);
  const secret = 'bench-secret-'.padEnd(48, 'x');
  // A live session, as sign-in sets it: a lyceum session token in the session cookie.
  const token = sign('HS256', { sub: 'bench', sid: 'bench-session', level: gatedEntry.level, exp: now() + 86400 }, secret,
    { header: { typ: 'lyceum-session' } });
  const vars = path.join(dir, 'bench.vars');
  writeDevVars(vars, { LYCEUM_JWT_SECRET: secret });
  const scenarios = [
    { key: 'public', label: 'public page', path: '/about/', headers: {} },
    { key: 'allowed', label: 'gated, allowed (live session cookie)', path: encodeURI(gatedUrl), headers: { Cookie: `__Host-lyceum_session=${token}` } },
    { key: 'denied', label: 'gated, denied (teaser)', path: encodeURI(gatedUrl), headers: {} },
  ];
  return { dir, dist, manifest, secret, vars, scenarios };
}

/** Start the one-isolate harness (bench/isolate) with the fixture's manifest and secret. */
export function startHarness({ dir, manifest, secret }, opts = {}) {
  const vars = path.join(dir, 'isolate.vars');
  writeDevVars(vars, { LYCEUM_JWT_SECRET: secret, MANIFEST: JSON.stringify(manifest) });
  return startWrangler({ config: path.join(ROOT, 'bench/isolate/wrangler.toml'), envFile: vars, stateDir: path.join(dir, 'state-isolate'), ...opts });
}

/** The harness query that calls `worker` `n` times with a scenario's request. */
export function harnessQuery(worker, n, { path: p, headers }) {
  const cookie = headers.Cookie ? `&cookie=${encodeURIComponent(headers.Cookie)}` : '';
  return `/run?worker=${worker}&n=${n}&path=${encodeURIComponent(p)}${cookie}`;
}

// Regression (issue 9, item 8): an existence oracle. A gated file without teaser,
// denied, answered its 404 with `Cache-Control: private, no-store` and `Vary`, while a
// path that does not exist answered the assets' own 404 with public caching, so anyone
// could confirm a guessed member-only file name from the headers. Every 404 must be
// the same response: status, every header but Date, and body, for GET, HEAD and a
// conditional request, whatever the token.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildFixture, ensureWorker, request, startWrangler, tempDir, writeDevVars } from './lib/harness.mjs';
import { makeKeys, now, sign } from './lib/jwt.mjs';

const dir = tempDir('lyceum-e2e-404-');
ensureWorker();
const dist = buildFixture(dir);
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const keys = makeKeys();
writeDevVars(path.join(dir, '.dev.vars'), { LYCEUM_JWT_SECRET: keys.secret });

/** A gated file without teaser, of a level above the lowest (so a member can be denied). */
const [assetUrl, asset] = Object.entries(manifest.entries).find(([, e]) => !e.teaser) ?? [];

let server;
before(async () => {
  server = await startWrangler({ dist, envFile: path.join(dir, '.dev.vars'), stateDir: path.join(dir, 'state') });
});
after(async () => {
  await server?.stop();
});

/** A response as compared: status, sorted header pairs without Date, body bytes. */
async function answer(rawPath, opts) {
  const r = await request(server.base, rawPath, opts);
  const headers = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) {
    const name = r.rawHeaders[i].toLowerCase();
    if (name !== 'date') headers.push(`${name}: ${r.rawHeaders[i + 1]}`);
  }
  headers.sort();
  return { status: r.status, headers, body: r.bytes.toString('base64'), text: r.body };
}

const token = (level) => {
  const t = now();
  // A session token, as sign-in sets it in the cookie.
  return sign('HS256', { sub: 'reader@example.com', sid: 's', level, iat: t, exp: t + 3600 }, keys.secret,
    { header: { typ: 'lyceum-session' } });
};

test('fixture: a gated file without teaser, and its private copy exists', () => {
  assert.ok(assetUrl, 'the fixture has a gated asset without teaser');
  assert.ok(fs.existsSync(path.join(dist, asset.file)), asset.file);
  assert.ok(fs.existsSync(path.join(dist, '404.html')), 'the site has a 404 page');
});

test('a denied gated file, /_gated/… and a missing path answer the same 404', async () => {
  const missing = '/no/such/file.txt';
  const denied = [
    ['denied gated file, anonymous', encodeURI(assetUrl), {}],
    ['denied gated file, bad token', encodeURI(assetUrl), { Cookie: '__Host-lyceum_session=not.a.token' }],
    ['private copy of the gated file', `/${encodeURI(asset.file)}`, {}],
    ['the manifest', '/_gated/manifest.json', {}],
  ];
  if (manifest.levels.indexOf(asset.level) > 0) {
    denied.push(['denied gated file, lower member', encodeURI(assetUrl), { Cookie: `__Host-lyceum_session=${token(manifest.levels[0])}` }]);
  }
  for (const method of ['GET', 'HEAD']) {
    const want = await answer(missing, { method });
    assert.equal(want.status, 404, `${method} ${missing}`);
    if (method === 'GET') assert.equal(want.text, fs.readFileSync(path.join(dist, '404.html'), 'utf8'), 'the site 404 page');
    for (const [what, p, headers] of denied) {
      assert.deepEqual(await answer(p, { method, headers }), await answer(missing, { method, headers }), `${method} ${what} (${p})`);
    }
    // A conditional request with the 404's own validator: still one answer for all.
    const etag = want.headers.find((h) => h.startsWith('etag: '))?.slice(6);
    if (etag) {
      const cond = { 'If-None-Match': etag };
      const wantCond = await answer(missing, { method, headers: cond });
      for (const [what, p, headers] of denied) {
        assert.deepEqual(await answer(p, { method, headers: { ...headers, ...cond } }), wantCond, `${method} ${what} with If-None-Match`);
      }
    }
  }
});

test('an encoded spelling of the private tree: the assets router\'s 307, for an existing name as for a missing one', async () => {
  // It matches no run_worker_first rule; the 307 leads to the canonical path, whose answer
  // is the one 404 above. Missing names get the same redirect, so it tells nothing.
  for (const [p, to] of [['/%5Fgated/manifest.json', '/_gated/manifest.json'], ['/%5Fgated/no-such.json', '/_gated/no-such.json']]) {
    const r = await request(server.base, p);
    assert.deepEqual([r.status, r.headers.location, r.body], [307, to, ''], p);
  }
});

test('a member still reads the gated file', async () => {
  const r = await request(server.base, encodeURI(assetUrl), { headers: { Cookie: `__Host-lyceum_session=${token(asset.level)}` } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.bytes, fs.readFileSync(path.join(dist, asset.file)));
  assert.equal(r.headers['cache-control'], 'private, no-store');
});

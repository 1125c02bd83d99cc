// External membership providers (issue 12, item 5): the worker fetches the JWKS from
// LYCEUM_JWT_JWKS_URL — here a real HTTP server on 127.0.0.1 run by this test, with
// keys made by node:crypto — maps the provider's plan claim to the site's levels, and
// refetches on an unknown `kid` at most once per interval (LYCEUM_JWT_JWKS_REFETCH_SECS,
// 3 s here so the test need not wait a minute), keeping the last good keys when the
// provider is down.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildFixture, ensureWorker, freePort, request, startWrangler, tempDir, waitFor, writeDevVars } from './lib/harness.mjs';
import { now, sign } from './lib/jwt.mjs';

const INTERVAL_S = 3;
const PLAN_CLAIM = 'https://academy.example/plan';

const dir = tempDir('lyceum-e2e-providers-');
ensureWorker();
const dist = buildFixture(dir);
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const entry = (level) => Object.entries(manifest.entries).find(([, e]) => e.teaser && e.level === level);
const [proUrl, proPage] = entry('pro');
const [memberUrl, memberPage] = entry('member');
const file = (f) => fs.readFileSync(path.join(dist, f), 'utf8');

// The provider: its keys, and a JWKS endpoint that counts what it is asked.
const k1 = crypto.generateKeyPairSync('ed25519');
const k2 = crypto.generateKeyPairSync('ed25519');
const jwk = (pair, kid) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' });
const provider = { keys: [jwk(k1, 'prov-1')], down: false, fetches: [] };
const jwksServer = http.createServer((req, res) => {
  if (req.url !== '/.well-known/jwks.json') return res.writeHead(404).end();
  provider.fetches.push(Date.now());
  if (provider.down) return res.writeHead(503, { 'Content-Type': 'text/plain' }).end('provider-down-secret-detail');
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' });
  res.end(JSON.stringify({ keys: provider.keys }));
});

const token = (plan, { key = k1, kid = 'prov-1', extra = {} } = {}) =>
  sign('EdDSA', { sub: 'provider|42', exp: now() + 600, [PLAN_CLAIM]: plan, ...extra }, key, { kid });
const get = (url, tok) => request(server.base, encodeURI(url), { headers: { Authorization: `Bearer ${tok}` } });
const isFull = (r, page) => r.status === 200 && r.body === file(page.file);
const isTeaser = (r, page) => r.status === 200 && r.body === file(page.teaser);
/** Until the schedule allows the next fetch: the interval since the last one (a clock rule, not a race). */
async function intervalPassed() {
  const last = provider.fetches.at(-1) ?? 0;
  const wait = last + INTERVAL_S * 1000 + 200 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

let server;
before(async () => {
  const port = await freePort();
  await new Promise((r) => jwksServer.listen(port, '127.0.0.1', r));
  writeDevVars(path.join(dir, '.dev.vars'), {
    LYCEUM_JWT_SECRET: crypto.randomBytes(32).toString('base64url'),
    LYCEUM_JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    LYCEUM_JWT_JWKS_REFETCH_SECS: String(INTERVAL_S),
    LYCEUM_JWT_LEVEL_CLAIM: PLAN_CLAIM,
    LYCEUM_JWT_LEVEL_MAP: 'plan_free:,plan_member:member,plan_pro:pro',
    LYCEUM_JWT_PRODUCTS_CLAIM: 'scope',
  });
  server = await startWrangler({ dist, envFile: path.join(dir, '.dev.vars'), stateDir: path.join(dir, 'state'), log: true });
});
after(async () => {
  await server?.stop();
  jwksServer.close();
});

test('a provider token whose plan maps to pro opens the pro page (JWKS fetched once, on first use)', async () => {
  assert.equal(provider.fetches.length, 0, 'nothing fetched before a token needs it');
  const r = await get(proUrl, token('plan_pro'));
  assert.ok(isFull(r, proPage), `${proUrl}: the full page (status ${r.status})`);
  assert.ok(isFull(await get(memberUrl, token('plan_pro')), memberPage), 'pro opens member pages too');
  // An array of plans: the highest mapped one.
  assert.ok(isFull(await get(proUrl, token(['plan_member', 'plan_pro'])), proPage));
  assert.equal(provider.fetches.length, 1, 'one fetch for all of them');
});

test('a provider token whose plan maps to member gets the pro page teaser', async () => {
  assert.ok(isTeaser(await get(proUrl, token('plan_member')), proPage), 'teaser of the pro page');
  assert.ok(isFull(await get(memberUrl, token('plan_member')), memberPage), 'the member page opens');
});

test('an unmapped plan (or a known plan without a level) gets the teaser', async () => {
  for (const plan of ['plan_gold', 'plan_free', 'pro']) {
    assert.ok(isTeaser(await get(proUrl, token(plan)), proPage), `${plan}: teaser`);
    assert.ok(isTeaser(await get(memberUrl, token(plan)), memberPage), `${plan}: member teaser`);
  }
  // A signed-in member without a level: /_lyceum/me says so.
  const me = await request(server.base, '/_lyceum/me', { headers: { Authorization: `Bearer ${token('plan_gold')}` } });
  assert.equal(me.status, 200);
  assert.deepEqual({ ...JSON.parse(me.body), exp: 0 }, { sub: 'provider|42', level: null, exp: 0 });
});

test('a products claim opens that product\'s pages and nothing else', async () => {
  const [courseUrl, coursePage] = Object.entries(manifest.entries).find(([, e]) => e.teaser && e.product === 'rust-course');
  const course = (plan, scope) => get(courseUrl, token(plan, { extra: scope == null ? {} : { scope } }));
  assert.ok(isFull(await course('plan_member', 'openid rust-course'), coursePage), 'the course opens for its buyer');
  assert.ok(isTeaser(await get(proUrl, token('plan_member', { extra: { scope: 'rust-course' } })), proPage), 'the pro page does not');
  assert.ok(isTeaser(await course('plan_member', 'openid'), coursePage), 'without the product: the teaser');
  assert.ok(isTeaser(await course('plan_member', 'rust-cours'), coursePage), 'ids are exact');
  assert.ok(isFull(await course('plan_pro'), coursePage), 'pro includes the course');
});

test('a flood of 50 tokens with random unknown kids causes at most one JWKS refetch', async () => {
  await intervalPassed();
  const before = provider.fetches.length;
  const started = Date.now();
  const flood = await Promise.all(Array.from({ length: 50 }, () =>
    get(proUrl, token('plan_pro', { kid: `rogue-${crypto.randomBytes(8).toString('hex')}` }))));
  const elapsedMs = Date.now() - started;
  const refetches = provider.fetches.length - before;
  console.log(`# kid flood: 50 requests in ${elapsedMs} ms caused ${refetches} JWKS refetch(es)`);
  for (const r of flood) assert.ok(isTeaser(r, proPage), 'an unknown kid gets the teaser');
  assert.ok(refetches >= 1, 'an unknown kid does trigger a refetch');
  // At most one per interval: one, unless the flood itself outlasted an interval.
  assert.ok(refetches <= 1 + Math.floor(elapsedMs / (INTERVAL_S * 1000)), `${refetches} refetches in ${elapsedMs} ms`);
  if (elapsedMs < INTERVAL_S * 1000) assert.equal(refetches, 1);
  // And the keys in hand still work, with no further fetch.
  const mid = provider.fetches.length;
  assert.ok(isFull(await get(proUrl, token('plan_pro')), proPage));
  assert.equal(provider.fetches.length, mid);
});

test('a rotated-in key (new kid on the server) is picked up after one refetch', async () => {
  provider.keys = [jwk(k1, 'prov-1'), jwk(k2, 'prov-2')];
  await intervalPassed();
  const before = provider.fetches.length;
  const r = await get(proUrl, token('plan_pro', { key: k2, kid: 'prov-2' }));
  assert.ok(isFull(r, proPage), 'the new key verifies at once');
  assert.equal(provider.fetches.length - before, 1, 'exactly one refetch');
  // Then it is cached: no more fetches for it.
  assert.ok(isFull(await get(proUrl, token('plan_pro', { key: k2, kid: 'prov-2' })), proPage));
  assert.equal(provider.fetches.length - before, 1);
});

test('with the JWKS server down, the cached keys keep working and no error text leaks', async () => {
  provider.down = true;
  await intervalPassed();
  const before = provider.fetches.length;
  const unknown = await get(proUrl, token('plan_pro', { kid: 'prov-3' }));
  assert.equal(provider.fetches.length - before, 1, 'the refetch was tried (and got a 503)');
  assert.ok(isTeaser(unknown, proPage), 'an unknown kid: the teaser');
  assert.ok(!/provider-down|503|JWKS/i.test(unknown.body), 'no fetch error in the response');
  assert.ok(isFull(await get(proUrl, token('plan_pro', { key: k2, kid: 'prov-2' })), proPage), 'k2 still works');
  assert.ok(isFull(await get(proUrl, token('plan_pro')), proPage), 'k1 still works');
  await waitFor(() => /JWKS fetch failed, keeping the last keys: HTTP 503/.test(server.output()), { what: 'the failure in the log' });
  assert.ok(!server.output().includes('provider-down-secret-detail'), 'the body of the failed fetch is not logged');
  assert.equal(provider.fetches.length - before, 1, 'no retry within the interval');
});

// Fail closed: with no verification key every gated page is a teaser even for a
// "member", and with an unusable manifest the worker answers 503 instead of guessing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildFixture, ensureWorker, fixtureCanaries, request, startWrangler, tempDir, writeDevVars } from './lib/harness.mjs';
import { now, sign } from './lib/jwt.mjs';

const dir = tempDir('lyceum-e2e-fc-');
ensureWorker();
const dist = buildFixture(dir);
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const CANARIES = fixtureCanaries();
const page = Object.entries(manifest.entries).find(([, e]) => e.teaser)?.[0];
const secret = 'x'.repeat(40);
const member = sign('HS256', { sub: 's', level: manifest.levels.at(-1), exp: now() + 3600 }, secret);
// The same membership as a session cookie (what sign-in sets).
const session = sign('HS256', { sub: 's', sid: 'x', level: manifest.levels.at(-1), exp: now() + 3600 }, secret,
  { header: { typ: 'lyceum-session' } });
const sessionCookie = { Cookie: `__Host-lyceum_session=${session}` };

const clean = (r, what) => {
  for (const c of CANARIES) assert.ok(!r.body.includes(c), `${what}: leaks ${c}`);
  for (const t of [member, session]) {
    assert.ok(!r.body.includes(t) && !r.rawHeaders.join('\n').includes(t), `${what}: echoes a token`);
  }
};

describe('no key configured', () => {
  let server;
  before(async () => {
    writeDevVars(path.join(dir, 'nokey.vars'), { LYCEUM_JWT_ISSUER: 'https://unused.example' });
    server = await startWrangler({ dist, envFile: path.join(dir, 'nokey.vars'), stateDir: path.join(dir, 's1') });
  });
  after(async () => server?.stop());

  test('a would-be member gets the teaser; me refuses', async () => {
    const r = await request(server.base, encodeURI(page), { headers: sessionCookie });
    clean(r, page);
    assert.equal(r.status, 200);
    assert.equal(r.headers['cache-control'], 'private, no-store');
    // The teaser itself, not merely a 200 without canaries (an empty page would pass that).
    assert.equal(r.body, fs.readFileSync(path.join(dist, manifest.entries[page].teaser), 'utf8'));
    for (const headers of [{ Authorization: `Bearer ${member}` }, sessionCookie]) {
      const me = await request(server.base, '/_lyceum/me', { headers });
      clean(me, 'me');
      assert.equal(me.status, 401);
    }
  });

  test('the log says why', async () => {
    await request(server.base, encodeURI(page), { headers: sessionCookie });
    // wrangler relays the worker's console output when it gets to it: wait for the line
    // (bounded) rather than sleep a fixed time and read whatever has arrived.
    await server.waitForOutput(/no verification key configured/i);
  });
});

describe('manifest unusable', () => {
  let server;
  const broken = path.join(dir, 'broken-dist');
  before(async () => {
    fs.cpSync(dist, broken, { recursive: true });
    fs.writeFileSync(path.join(broken, '_gated/manifest.json'), '{"version": 999, "levels": [], "entries": {}}\n');
    writeDevVars(path.join(dir, 'ok.vars'), { LYCEUM_JWT_SECRET: secret });
    server = await startWrangler({ dist: broken, envFile: path.join(dir, 'ok.vars'), stateDir: path.join(dir, 's2'), log: false });
  });
  after(async () => server?.stop());

  test('gated pages answer 503, public ones are served without the worker, the private tree 404', async () => {
    for (const headers of [{}, sessionCookie]) {
      const g = await request(server.base, encodeURI(page), { headers });
      clean(g, page);
      assert.equal(g.status, 503);
      assert.match(g.headers['cache-control'] ?? '', /no-store/);
      // Public pages never run the Worker (run_worker_first lists only gated paths), so
      // they do not depend on it: the home page is the bundle's own.
      const home = await request(server.base, '/', { headers });
      assert.equal(home.status, 200);
      assert.equal(home.body, fs.readFileSync(path.join(broken, 'index.html'), 'utf8'));
      for (const p of ['/_gated/manifest.json', '/%5Fgated/manifest.json', '/_GATED/']) {
        let r = await request(server.base, p, { headers });
        clean(r, p);
        // An encoded spelling gets the assets router's 307 to the canonical path first.
        if (r.status === 307) {
          assert.equal(r.headers.location, '/_gated/manifest.json', p);
          r = await request(server.base, r.headers.location, { headers });
          clean(r, p);
        }
        assert.equal(r.status, 404, p);
      }
    }
  });

  test('the log says the manifest is unusable', async () => {
    await request(server.base, encodeURI(page));
    await server.waitForOutput(/manifest \/_gated\/manifest\.json unusable/i);
  });
});

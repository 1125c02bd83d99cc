// The member flow in a real browser (headless Chromium through playwright-core), against
// both gatekeepers: the preview server (`lyceum serve`, the real binary) and the edge
// worker on a local workerd (`wrangler dev`, through the e2e harness). Tokens are signed
// with node:crypto (tests/e2e/lib/jwt.mjs), independently of the gate's Rust code.
//
// Per server: anonymous → teaser; login link → full page + "signed in as" (lyceum.js);
// sign out → teaser + signed-out; anonymous views never ask /_lyceum/me (no console
// error), signed-in ones do; a lower-level member → teaser; JavaScript off → the same
// server-side decisions; a login `next` to a non-ASCII gated URL lands on it.
// Screenshots: tests/artifacts/browser/<server>-<step>.png.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import {
  ROOT, FIXTURE, buildFixture, ensureWorker, fixtureCanaries, lyceumBin, startWrangler, tempDir, writeDevVars,
} from '../e2e/lib/harness.mjs';
import { makeKeys, now, sign } from '../e2e/lib/jwt.mjs';

const CHROMIUM = process.env.LYCEUM_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const ARTIFACTS = path.join(ROOT, 'tests/artifacts/browser');
const STEP_TIMEOUT = 10_000;
/** A 1×1 transparent PNG. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

// The fixture pages the flow uses (tests/fixtures/site), and what proves which variant
// of a page the browser got.
const MEMBER_PAGE = '/essays/member-essay/'; // level member, has a <!-- more --> teaser
const MEMBER_CANARY = 'CANARY-BODY-7f3a';
const MEMBER_TEASER_TEXT = 'OPEN-TEASER-1b2c';
const PRO_PAGE = '/courses/deliberate-practice/'; // level pro
const PRO_CANARY = 'CANARY-PRO-7f3a';
const CJK_PAGE = '/笔记/会员专享/'; // level member, non-ASCII URL
const CJK_CANARY = 'CANARY-CJK-7f3a';
const SUB = 'reader@example.com';
/** Every canary of the fixture: none may be on a teaser. */
const CANARIES = fixtureCanaries();
for (const c of [MEMBER_CANARY, PRO_CANARY, CJK_CANARY]) {
  assert.ok(CANARIES.includes(c), `fixture no longer contains ${c}: update this test`);
}

const keys = makeKeys();
const dir = tempDir('lyceum-browser-');
const bin = lyceumBin();
ensureWorker();
fs.mkdirSync(ARTIFACTS, { recursive: true });

function token(level, extra = {}) {
  const t = now();
  return sign('HS256', { sub: SUB, level, iat: t, exp: t + 3600, ...extra }, keys.secret);
}
const loginUrl = (tok, next) => `/_lyceum/login?token=${tok}&next=${encodeURIComponent(next)}`;

// ---------- servers ----------

/** `lyceum serve` on the fixture site, on a port the OS picks, with the test secret. */
async function startServe() {
  const env = { ...process.env, LYCEUM_JWT_SECRET: keys.secret, NO_COLOR: '1' };
  for (const k of ['LYCEUM_JWT_JWKS', 'LYCEUM_JWT_ISSUER', 'LYCEUM_JWT_AUDIENCE']) delete env[k];
  const child = spawn(bin, ['--quiet', 'serve', '--root', FIXTURE, '--port', '0', '--out', path.join(dir, 'serve-site')], {
    cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, // own process group
  });
  const groupKill = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
  const onExit = () => groupKill('SIGKILL');
  process.on('exit', onExit); // last resort if an `after` hook never runs
  let output = '';
  child.stderr.on('data', (c) => { output += c; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lyceum serve did not start in 30 s:\n${output}`)), 30_000);
    child.stdout.on('data', (c) => {
      output += c;
      const m = output.match(/serving (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`lyceum serve exited (${code ?? sig}):\n${output}`)); });
  }).catch(async (e) => { groupKill('SIGKILL'); await exited; throw e; });
  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      groupKill('SIGTERM');
      const t = setTimeout(() => groupKill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    groupKill('SIGKILL'); // anything left in the group
    process.off('exit', onExit);
  }
  return { base, stop, output: () => output };
}

/** The edge worker on `wrangler dev`, over the fixture bundle built by the real CLI. */
async function startWorker() {
  const dist = buildFixture(dir);
  const envFile = path.join(dir, '.dev.vars');
  writeDevVars(envFile, { LYCEUM_JWT_SECRET: keys.secret });
  return startWrangler({ dist, envFile, stateDir: path.join(dir, 'wrangler-state') });
}

// ---------- browser ----------

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
});

/** A fresh context (own cookie jar) and page; uncaught page errors are collected. */
async function open(base, { javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({ baseURL: base, javaScriptEnabled, viewport: { width: 1000, height: 800 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  // The fixture's full member page embeds an image from an outside host (its URL is a
  // canary of the below-the-fold test); this machine has no network, so the test stands
  // in for that host instead of letting the load fail with a console error.
  await context.route('https://members.example/**', (route) =>
    route.fulfill({ status: 200, contentType: 'image/png', body: PIXEL }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  return { context, page, errors };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Navigate; assert a 200 of the expected path. Returns the response's raw body. */
async function go(page, url, expectPath) {
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.ok(res, `no response for ${url}`);
  assert.equal(res.status(), 200, `${url}: status`);
  assert.equal(decodeURI(new URL(page.url()).pathname), expectPath, `${url}: landed on`);
  return { res, body: await res.text() };
}

/** The teaser of a gated page: paywall visible, no canary in the DOM or the raw body. */
async function assertTeaser(page, body, required) {
  await page.locator('.paywall').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.paywall').getAttribute('data-required'), required);
  assert.equal(await page.locator('article.is-teaser').count(), 1, 'teaser article');
  const dom = await page.content();
  for (const c of CANARIES) {
    assert.ok(!dom.includes(c), `teaser DOM shows ${c}`);
    assert.ok(!body.includes(c), `teaser body carries ${c}`);
  }
}

/** The full page: the canary is visible, no paywall. */
async function assertFull(page, canary) {
  await page.getByText(canary, { exact: false }).first().waitFor({ state: 'visible' });
  assert.equal(await page.locator('.paywall').count(), 0, 'full page has no paywall');
  assert.equal(await page.locator('article.is-teaser').count(), 0, 'full page is not a teaser');
}

/** lyceum.js's signed-in header: "Signed in as <sub> (<level name>)" and a sign-out link. */
async function assertSignedIn(page, levelName) {
  const who = page.locator('#lyceum-account .who');
  await who.waitFor({ state: 'visible' });
  const text = await page.locator('#lyceum-account').innerText();
  assert.ok(text.includes(`Signed in as ${SUB} (${levelName})`), `account box: ${JSON.stringify(text)}`);
  assert.equal(await page.locator('#lyceum-account a[href="/_lyceum/logout"]').innerText(), 'Sign out');
}

/** lyceum.js's signed-out header: only a "Sign in" link to the membership page. */
async function assertSignedOut(page) {
  const link = page.locator('#lyceum-account a', { hasText: 'Sign in' });
  await link.waitFor({ state: 'visible' });
  assert.equal(await link.getAttribute('href'), '/membership/');
  assert.equal(await page.locator('#lyceum-account .who').count(), 0);
}

async function sessionCookie(context) {
  return (await context.cookies()).find((c) => c.name === 'lyceum_session');
}

// ---------- the flow, on both servers ----------

const SERVERS = { serve: startServe, wrangler: startWorker };

for (const [kind, start] of Object.entries(SERVERS)) {
  describe(`member flow on ${kind}`, () => {
    let server;
    const contexts = [];
    before(async () => {
      server = await start();
    });
    after(async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await server?.stop();
    });
    const fresh = async (opts) => {
      const o = await open(server.base, opts);
      contexts.push(o.context);
      return o;
    };

    test('anonymous teaser → login link → full page, signed in → sign out → teaser, signed out', { timeout: 60_000 }, async () => {
      const { context, page, errors } = await fresh();

      // 1. Anonymous: the teaser, and lyceum.js shows the signed-out header.
      let { res, body } = await go(page, MEMBER_PAGE, MEMBER_PAGE);
      assert.equal(res.headers()['cache-control'], 'private, no-store');
      await assertTeaser(page, body, 'member');
      await page.getByText(MEMBER_TEASER_TEXT).waitFor({ state: 'visible' });
      await assertSignedOut(page);
      await shot(page, `${kind}-1-anonymous-teaser`);

      // 2. The login link: 303 to `next` with the session cookie, then the full page.
      const tok = token('member');
      ({ res, body } = await go(page, loginUrl(tok, MEMBER_PAGE), MEMBER_PAGE));
      const cookie = await sessionCookie(context);
      assert.ok(cookie, 'Chromium kept the session cookie (Secure on http://127.0.0.1)');
      assert.equal(cookie.value, tok);
      assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path], [true, true, 'Lax', '/']);
      assert.ok(!(await page.evaluate(() => document.cookie)).includes('lyceum_session'), 'HttpOnly: not visible to scripts');
      assert.ok(body.includes(MEMBER_CANARY));
      assert.equal(res.headers()['cache-control'], 'private, no-store');
      await assertFull(page, MEMBER_CANARY);
      await assertSignedIn(page, 'Member');
      assert.ok(!page.url().includes(tok), 'the token is not left in the address bar');
      await shot(page, `${kind}-2-member-full`);

      // 3. Sign out through the header link lyceum.js rendered: home, signed out, no cookie.
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/'),
        page.locator('#lyceum-account a', { hasText: 'Sign out' }).click(),
      ]);
      await page.waitForLoadState('load');
      await assertSignedOut(page);
      assert.equal(await sessionCookie(context), undefined, 'cookie cleared');
      await shot(page, `${kind}-3-signed-out-home`);

      // 4. Back to the gated page (history Back, then a fresh load): the teaser again.
      await page.goBack({ waitUntil: 'load' });
      assert.equal(new URL(page.url()).pathname, MEMBER_PAGE);
      assert.ok(!(await page.content()).includes(MEMBER_CANARY), 'Back after sign-out must not show the full page');
      ({ body } = await go(page, MEMBER_PAGE, MEMBER_PAGE));
      await assertTeaser(page, body, 'member');
      await assertSignedOut(page);
      await shot(page, `${kind}-4-teaser-again`);

      assert.deepEqual(errors.map(String), [], 'no uncaught script errors');
    });

    test('anonymous page views make no request to /_lyceum/me and log no console error; signed in still shows who', { timeout: 60_000 }, async () => {
      const { context, page, errors } = await fresh();
      const asked = [];
      const consoleErrors = [];
      page.on('request', (r) => { if (new URL(r.url()).pathname === '/_lyceum/me') asked.push(new URL(r.url()).pathname); });
      page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      const hint = async () => (await context.cookies()).find((c) => c.name === 'lyceum_signed_in');

      // Anonymous: a public page and a teaser render the signed-out header without asking.
      for (const p of ['/', MEMBER_PAGE]) {
        await go(page, p, p);
        await assertSignedOut(page);
      }
      assert.deepEqual(asked, [], 'anonymous page views ask /_lyceum/me');
      assert.deepEqual(consoleErrors, [], 'anonymous page views log console errors');

      // Signed in: the login route set the readable hint, so the script asks and shows who.
      await go(page, loginUrl(token('member'), MEMBER_PAGE), MEMBER_PAGE);
      const h = await hint();
      assert.ok(h, 'login sets the signed-in hint');
      assert.deepEqual([h.value, h.httpOnly, h.secure, h.sameSite, h.path], ['1', false, true, 'Lax', '/']);
      await assertSignedIn(page, 'Member');
      assert.deepEqual(asked, ['/_lyceum/me']);

      // Signed out: the hint is gone and page views ask nothing again.
      await go(page, '/_lyceum/logout', '/');
      assert.equal(await hint(), undefined, 'logout clears the hint');
      asked.length = 0;
      await go(page, MEMBER_PAGE, MEMBER_PAGE);
      await assertSignedOut(page);
      assert.deepEqual(asked, []);
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(errors.map(String), []);
    });

    test('a member below the page level sees the teaser (and is told so), their own level the full page', { timeout: 60_000 }, async () => {
      const { page, errors } = await fresh();
      const { body } = await go(page, loginUrl(token('member'), PRO_PAGE), PRO_PAGE);
      await assertTeaser(page, body, 'pro');
      await assertSignedIn(page, 'Member');
      const hint = page.locator('#lyceum-signin-hint');
      assert.match(await hint.getAttribute('class'), /\bis-short\b/);
      assert.match(await hint.innerText(), /doesn.t include this page/);
      await shot(page, `${kind}-5-lower-level-teaser`);

      // The same session does open a member page: the teaser above is the level's doing.
      await go(page, MEMBER_PAGE, MEMBER_PAGE);
      await assertFull(page, MEMBER_CANARY);

      // And a pro member gets the pro page.
      const pro = await fresh();
      await go(pro.page, loginUrl(token('pro'), PRO_PAGE), PRO_PAGE);
      await assertFull(pro.page, PRO_CANARY);
      await assertSignedIn(pro.page, 'Pro');
      assert.deepEqual([...errors, ...pro.errors].map(String), []);
    });

    test('with JavaScript disabled the teaser/full decisions are the same (server-side)', { timeout: 60_000 }, async () => {
      const { context, page } = await fresh({ javaScriptEnabled: false });
      let { body } = await go(page, MEMBER_PAGE, MEMBER_PAGE);
      await assertTeaser(page, body, 'member');
      // No script ran: the account box stays as the server sent it (empty).
      assert.equal((await page.locator('#lyceum-account').innerText()).trim(), '');
      await shot(page, `${kind}-6-nojs-teaser`);

      ({ body } = await go(page, loginUrl(token('member'), MEMBER_PAGE), MEMBER_PAGE));
      assert.ok(await sessionCookie(context));
      await assertFull(page, MEMBER_CANARY);
      assert.equal((await page.locator('#lyceum-account').innerText()).trim(), '');
      await shot(page, `${kind}-7-nojs-full`);

      ({ body } = await go(page, PRO_PAGE, PRO_PAGE));
      await assertTeaser(page, body, 'pro');

      // Sign out without the script's link: the route itself.
      await go(page, '/_lyceum/logout', '/');
      assert.equal(await sessionCookie(context), undefined);
      ({ body } = await go(page, MEMBER_PAGE, MEMBER_PAGE));
      await assertTeaser(page, body, 'member');
      await shot(page, `${kind}-8-nojs-signed-out-teaser`);
    });

    test('a login link whose next is a non-ASCII gated URL lands on that page', { timeout: 60_000 }, async () => {
      const { page } = await fresh();
      let { body } = await go(page, encodeURI(CJK_PAGE), CJK_PAGE);
      await assertTeaser(page, body, 'member');
      // `next` as the raw path (the query value decodes to UTF-8, as in `lyceum serve`'s
      // own demo link), then as an already percent-encoded path.
      ({ body } = await go(page, loginUrl(token('member'), CJK_PAGE), CJK_PAGE));
      await assertFull(page, CJK_CANARY);
      await assertSignedIn(page, 'Member');
      await shot(page, `${kind}-9-cjk-full`);
      const other = await fresh();
      await go(other.page, loginUrl(token('member'), encodeURI(CJK_PAGE)), CJK_PAGE);
      await assertFull(other.page, CJK_CANARY);
    });
  });
}

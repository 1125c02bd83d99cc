// The member journey in a real browser (headless Chromium through playwright-core), against
// both gatekeepers: the preview server (`lyceum serve`, the real binary, members in SQLite,
// mail in its outbox folder) and the edge worker on a local workerd (`wrangler dev`, with a
// local D1 and the local Email Service binding, whose files the test reads).
//
// Per server: anonymous → teaser → sign up from the paywall with a new address → read the
// mail → open the link → confirm → signed in on the page the new level may read → a higher
// page is a teaser → sign out (a POST) → teaser; the 6-digit code path; anonymous views
// never ask /_lyceum/me; JavaScript off → every form still works; a non-ASCII page
// round-trips through `next`. Screenshots: tests/artifacts/browser/<server>-<step>.png.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import {
  ROOT, FIXTURE, buildFixture, ensureWorker, fixtureCanaries, lyceumBin, startWrangler, tempDir, waitFor, writeDevVars,
} from '../e2e/lib/harness.mjs';
import { makeKeys } from '../e2e/lib/jwt.mjs';

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
/** Sign-up is open; a new member gets `member` (the demo's setting). */
const MEMBERS_YAML = 'members:\n  signup: open\n  free_level: member';
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

let addresses = 0;
/** A new address each time: every journey is a newcomer's. */
const newcomer = () => `reader${++addresses}-${process.pid}@example.org`;

// ---------- servers ----------

/** `lyceum serve` on the fixture site, on a port the OS picks, with the test secret. */
async function startServe() {
  const env = { ...process.env, LYCEUM_JWT_SECRET: keys.secret, NO_COLOR: '1' };
  for (const k of ['LYCEUM_JWT_JWKS', 'LYCEUM_JWT_ISSUER', 'LYCEUM_JWT_AUDIENCE']) delete env[k];
  const root = path.join(dir, 'serve-root');
  fs.cpSync(FIXTURE, root, { recursive: true });
  fs.appendFileSync(path.join(root, 'site.yaml'), `\n${MEMBERS_YAML}\n`);
  const child = spawn(bin, ['--quiet', 'serve', '--root', root, '--port', '0', '--out', path.join(dir, 'serve-site')], {
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
  /** The mails serve wrote to its outbox (`.lyceum/outbox/*.txt`), oldest first. */
  const outbox = path.join(root, '.lyceum/outbox');
  const mails = () => (fs.existsSync(outbox) ? fs.readdirSync(outbox).filter((f) => f.endsWith('.txt')).sort() : [])
    .map((f) => ({ text: fs.readFileSync(path.join(outbox, f), 'utf8') }));
  return { base, stop, output: () => output, mails };
}

/** The edge worker on `wrangler dev`, over the fixture bundle built by the real CLI. */
async function startWorker() {
  const dist = buildFixture(path.join(dir, 'worker'), { siteYaml: MEMBERS_YAML });
  const envFile = path.join(dir, '.dev.vars');
  writeDevVars(envFile, { LYCEUM_JWT_SECRET: keys.secret });
  return startWrangler({ dist, envFile, stateDir: path.join(dir, 'wrangler-state'), mail: true });
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

/** lyceum.js's signed-in header: the level's name, an account link and a sign-out button. */
async function assertSignedIn(page, levelName) {
  const who = page.locator('#lyceum-account .who');
  await who.waitFor({ state: 'visible' });
  assert.equal(await who.innerText(), levelName);
  assert.equal(await page.locator('#lyceum-account a.account-link').getAttribute('href'), '/account/');
  const out = page.locator('#lyceum-account form.signout');
  assert.deepEqual([await out.getAttribute('method'), await out.getAttribute('action')], ['post', '/_lyceum/signout']);
}

/** The signed-out header: only a "Sign in" link to the sign-in page. */
async function assertSignedOut(page) {
  const link = page.locator('#lyceum-account a', { hasText: 'Sign in' });
  await link.waitFor({ state: 'visible' });
  assert.equal(await link.getAttribute('href'), '/signin/');
  assert.equal(await page.locator('#lyceum-account .who').count(), 0);
}

async function cookie(context, name) {
  return (await context.cookies()).find((c) => c.name === name);
}

/** The sign-in mail to `email` (the newest), with its link and code. */
async function mailTo(server, email, seen) {
  const mail = await waitFor(() => server.mails().slice(seen).find((m) => m.text.includes(email) || m.to === email),
    { timeout: 10_000, what: `a mail to ${email}` });
  const link = mail.text.match(/https?:\/\/127\.0\.0\.1:\d+\/_lyceum\/confirm\?t=[A-Za-z0-9_-]{43}/);
  const code = mail.text.match(/\b(\d{6})\b/);
  assert.ok(link && code, `link and code in the mail:\n${mail.text}`);
  return { link: link[0], code: code[1] };
}

/** Submit the form holding `button` and wait for the page it leads to. */
async function submit(page, button, expectPath) {
  await Promise.all([page.waitForURL((u) => decodeURI(u.pathname) === expectPath), button.click()]);
  await page.waitForLoadState('load');
}

// ---------- the journey, on both servers ----------

const SERVERS = { serve: startServe, wrangler: startWorker };

for (const [kind, start] of Object.entries(SERVERS)) {
  describe(`member journey on ${kind}`, () => {
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

    test('anonymous → sign up from the paywall → mail → link → confirm → member page → higher page teaser → sign out → teaser', { timeout: 60_000 }, async (t) => {
      const started = Date.now();
      const { context, page, errors } = await fresh();
      const email = newcomer();

      // 1. Anonymous: the teaser, its paywall offers sign-in/sign-up, the header "Sign in".
      let { res, body } = await go(page, MEMBER_PAGE, MEMBER_PAGE);
      assert.equal(res.headers()['cache-control'], 'private, no-store');
      await assertTeaser(page, body, 'member');
      await page.getByText(MEMBER_TEASER_TEXT).waitFor({ state: 'visible' });
      await assertSignedOut(page);
      await shot(page, `${kind}-1-anonymous-teaser`);

      // 2. Sign up with a new address from the paywall: "check your inbox".
      const seen = server.mails().length;
      await page.locator('#paywall-email').fill(email);
      await submit(page, page.locator('#lyceum-paywall-signin button[type=submit]'), '/signin/sent/');
      await shot(page, `${kind}-2-check-your-inbox`);

      // 3. The mail's link opens the confirm page; its button signs in and goes back.
      const { link } = await mailTo(server, email, seen);
      await go(page, link, '/_lyceum/confirm');
      assert.equal(await cookie(context, '__Host-lyceum_session'), undefined, 'opening the link signs nobody in');
      await shot(page, `${kind}-3-confirm`);
      await submit(page, page.locator('form[action="/_lyceum/confirm"] button'), MEMBER_PAGE);
      await assertFull(page, MEMBER_CANARY);
      await assertSignedIn(page, 'Member');
      for (const name of ['__Host-lyceum_session', '__Host-lyceum_renew']) {
        const c = await cookie(context, name);
        assert.ok(c, `${name} kept by Chromium (Secure, __Host- on http://127.0.0.1)`);
        assert.deepEqual([c.httpOnly, c.secure, c.sameSite, c.path], [true, true, 'Lax', '/'], name);
      }
      assert.ok(!(await page.evaluate(() => document.cookie)).includes('lyceum_session'), 'HttpOnly: not visible to scripts');
      assert.ok(!page.url().includes('t='), 'no secret left in the address bar');
      await shot(page, `${kind}-4-member-full`);

      // 4. A page above the new level: the teaser, and the paywall says the level is short.
      ({ body } = await go(page, PRO_PAGE, PRO_PAGE));
      await assertTeaser(page, body, 'pro');
      await assertSignedIn(page, 'Member');
      assert.match(await page.locator('#lyceum-signin-hint').getAttribute('class'), /\bis-short\b/);
      assert.equal(await page.locator('#lyceum-paywall-signin').isVisible(), false, 'no sign-in form for a signed-in reader');
      await shot(page, `${kind}-5-lower-level-teaser`);

      // 5. Sign out with the header's button (a POST): home, signed out, cookies gone.
      await submit(page, page.locator('#lyceum-account form.signout button'), '/');
      await assertSignedOut(page);
      for (const name of ['__Host-lyceum_session', '__Host-lyceum_renew', 'lyceum_signed_in']) {
        assert.equal(await cookie(context, name), undefined, `${name} cleared`);
      }
      ({ body } = await go(page, MEMBER_PAGE, MEMBER_PAGE));
      await assertTeaser(page, body, 'member');
      await shot(page, `${kind}-6-teaser-again`);
      assert.deepEqual(errors.map(String), [], 'no uncaught script errors');
      t.diagnostic(`journey on ${kind}: ${Date.now() - started} ms`);
    });

    test('sign in with the 6-digit code instead of the link (the mail read on another device)', { timeout: 60_000 }, async () => {
      const { page, errors } = await fresh();
      const email = newcomer();
      await go(page, `/signin/?next=${encodeURIComponent(PRO_PAGE)}`, '/signin/');
      const seen = server.mails().length;
      await page.locator('#signin-email').fill(email);
      await submit(page, page.locator('form[action="/_lyceum/signin"] button'), '/signin/sent/');
      assert.equal(await page.locator('#code-email').inputValue(), email, 'the code form remembers the address');
      const { code } = await mailTo(server, email, seen);
      await page.locator('#code-code').fill(code);
      // `next` was a pro page: the new member lands there and reads its teaser.
      await submit(page, page.locator('form[action="/_lyceum/code"] button'), PRO_PAGE);
      await assertTeaser(page, await page.content(), 'pro');
      await assertSignedIn(page, 'Member');
      await go(page, MEMBER_PAGE, MEMBER_PAGE);
      await assertFull(page, MEMBER_CANARY);
      assert.deepEqual(errors.map(String), []);
    });

    test('anonymous page views make no request to /_lyceum/me and log no console error; signed in does ask', { timeout: 60_000 }, async () => {
      const { page, errors } = await fresh();
      const asked = [];
      const consoleErrors = [];
      page.on('request', (r) => { if (new URL(r.url()).pathname === '/_lyceum/me') asked.push(r.url()); });
      page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      for (const p of ['/', MEMBER_PAGE, '/signin/']) {
        await go(page, p, p);
        await assertSignedOut(page);
      }
      assert.deepEqual(asked, [], 'anonymous page views ask /_lyceum/me');
      const email = newcomer();
      const seen = server.mails().length;
      await page.locator('#signin-email').fill(email);
      await submit(page, page.locator('form[action="/_lyceum/signin"] button'), '/signin/sent/');
      const { link } = await mailTo(server, email, seen);
      await go(page, link, '/_lyceum/confirm');
      await submit(page, page.locator('form[action="/_lyceum/confirm"] button'), '/');
      await assertSignedIn(page, 'Member');
      assert.equal(asked.length, 1, 'signed in: the script asks once per page view');
      assert.deepEqual(consoleErrors, []);
      assert.deepEqual(errors.map(String), []);
    });

    test('with JavaScript off: sign up, confirm, read, sign out from the account page', { timeout: 60_000 }, async () => {
      const { context, page } = await fresh({ javaScriptEnabled: false });
      const email = newcomer();
      let { body } = await go(page, MEMBER_PAGE, MEMBER_PAGE);
      await assertTeaser(page, body, 'member');
      const seen = server.mails().length;
      await page.locator('#paywall-email').fill(email);
      await submit(page, page.locator('#lyceum-paywall-signin button[type=submit]'), '/signin/sent/');
      const { link } = await mailTo(server, email, seen);
      await go(page, link, '/_lyceum/confirm');
      await submit(page, page.locator('form[action="/_lyceum/confirm"] button'), MEMBER_PAGE);
      await assertFull(page, MEMBER_CANARY);
      assert.ok(await cookie(context, '__Host-lyceum_session'));
      await shot(page, `${kind}-7-nojs-full`);
      ({ body } = await go(page, PRO_PAGE, PRO_PAGE));
      await assertTeaser(page, body, 'pro');
      await go(page, '/account/', '/account/');
      await submit(page, page.locator('form[action="/_lyceum/signout"]:not(:has(input[name=everywhere])) button'), '/');
      assert.equal(await cookie(context, '__Host-lyceum_session'), undefined);
      ({ body } = await go(page, MEMBER_PAGE, MEMBER_PAGE));
      await assertTeaser(page, body, 'member');
      await shot(page, `${kind}-8-nojs-signed-out-teaser`);
    });

    test('signing in from a non-ASCII gated page lands back on it', { timeout: 60_000 }, async () => {
      const { page } = await fresh();
      const email = newcomer();
      let { body } = await go(page, encodeURI(CJK_PAGE), CJK_PAGE);
      await assertTeaser(page, body, 'member');
      const seen = server.mails().length;
      await page.locator('#paywall-email').fill(email);
      await submit(page, page.locator('#lyceum-paywall-signin button[type=submit]'), '/signin/sent/');
      const { link } = await mailTo(server, email, seen);
      await go(page, link, '/_lyceum/confirm');
      await submit(page, page.locator('form[action="/_lyceum/confirm"] button'), CJK_PAGE);
      await assertFull(page, CJK_CANARY);
      await assertSignedIn(page, 'Member');
      await shot(page, `${kind}-9-cjk-full`);
    });
  });
}

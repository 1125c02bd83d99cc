// Paying, in a real browser (headless Chromium through playwright-core) against the edge
// worker on a local workerd (`wrangler dev`, local D1, local Email Service binding).
//
// A free member signs up by email, opens a pro page's paywall, follows "Join Pro" and
// lands on the configured Stripe Payment Link, served by the test itself (no network): an
// HTTPS server on loopback that Chromium resolves buy.stripe.com to, standing in for
// Stripe's hosted page; the link carries the member's id and address. The test then posts
// the signed checkout.session.completed and the subscription's event, as Stripe would; the
// member's next page view after the session token renews (the browser drops an expired
// cookie: the test removes it) opens the pro page. The subscription is deleted, and the
// page is a teaser again. Then "Buy this course" on a course chapter: the chapter opens,
// other pro pages do not.
// Screenshots: tests/artifacts/browser/payment-<step>.png.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ROOT, buildFixture, ensureWorker, fixtureCanaries, startWrangler, tempDir, waitFor, writeDevVars } from '../e2e/lib/harness.mjs';
import * as stripe from '../e2e/lib/stripe.mjs';

const CHROMIUM = process.env.LYCEUM_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const ARTIFACTS = path.join(ROOT, 'tests/artifacts/browser');
const STEP_TIMEOUT = 10_000;

const MEMBER_PAGE = '/essays/member-essay/';
const PRO_PAGE = '/courses/deliberate-practice/';
const PRO_CANARY = 'CANARY-PRO-7f3a';
const COURSE_PAGE = '/rust-course/ownership/';
const COURSE_CANARY = 'CANARY-COURSE-5d1c';
const CANARIES = fixtureCanaries();
for (const c of [PRO_CANARY, COURSE_CANARY]) assert.ok(CANARIES.includes(c), `fixture no longer contains ${c}: update this test`);

const PRO_PRICE = 'price_1PgafmB7WZ01zgkW6dKueIc5';
const COURSE_PRICE = 'price_e2e_course';
const PRO_LINK = 'https://buy.stripe.com/test_pro';
const COURSE_LINK = 'https://buy.stripe.com/test_course';
// The Payment Links' ids, as their checkouts name them (no line_items in Stripe's events).
const PRO_PLINK = 'plink_browser_pro';
const COURSE_PLINK = 'plink_browser_course';
const WHSEC = `whsec_${'web'.repeat(12)}`;

const dir = tempDir('lyceum-browser-pay-');
ensureWorker();
fs.mkdirSync(ARTIFACTS, { recursive: true });

let server;
let browser;
let standIn;
before(async () => {
  const dist = buildFixture(path.join(dir, 'site'), {
    siteYaml: 'members:\n  signup: open\n  free_level: member',
    edit: (yaml) => yaml
      .replace('  - id: pro\n', `  - id: pro\n    link: ${PRO_LINK}\n    stripe_prices: [${PRO_PRICE}]\n`)
      .replace('    level: pro\n', `    level: pro\n    link: ${COURSE_LINK}\n    stripe_prices: [${COURSE_PRICE}, ${COURSE_PLINK}]\n`),
  });
  const envFile = path.join(dir, '.dev.vars');
  writeDevVars(envFile, { LYCEUM_JWT_SECRET: crypto.randomBytes(32).toString('base64url'), LYCEUM_STRIPE_WEBHOOK_SECRET: WHSEC });
  server = await startWrangler({ dist, envFile, stateDir: path.join(dir, 'state'), mail: true });
  standIn = await startStripeStandIn();
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP buy.stripe.com 127.0.0.1:${standIn.port}`],
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await standIn?.close();
});

// ---------- helpers ----------

/**
 * Stripe's hosted page, stood in for on loopback: Chromium resolves buy.stripe.com to this
 * HTTPS server (a certificate made for the run), so the browser really follows the
 * worker's 303 to the configured https://buy.stripe.com/… link. It answers a page with
 * the way back to the site that a Payment Link's "after payment" setting gives, and
 * records each URL asked for.
 */
async function startStripeStandIn() {
  const key = path.join(dir, 'stripe.key');
  const cert = path.join(dir, 'stripe.crt');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=buy.stripe.com', '-addext', 'subjectAltName=DNS:buy.stripe.com', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const visits = [];
  const srv = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
    visits.push(new URL(req.url, 'https://buy.stripe.com').href);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Stripe Checkout (test stand-in)</title><h1>Pay Fixture Academy</h1>'
      + `<a id="back" href="${server.base}${PRO_PAGE}">Back to Fixture Academy</a>`);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: srv.address().port, visits, close: () => new Promise((resolve) => srv.close(resolve)) };
}

/** A fresh context (own cookie jar) and page; uncaught page errors are collected. */
async function open() {
  const context = await browser.newContext({ baseURL: server.base, viewport: { width: 1000, height: 800 }, ignoreHTTPSErrors: true });
  context.setDefaultTimeout(STEP_TIMEOUT);
  // The fixture's full pages embed an image from an outside host; no network here.
  await context.route('https://members.example/**', (route) => route.fulfill({ status: 204 }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  return { context, page, errors };
}

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `payment-${name}.png`), fullPage: true });

async function go(page, url) {
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.equal(res.status(), 200, `${url}: status`);
  return { res, body: await res.text() };
}

async function assertTeaser(page, body, required) {
  await page.locator('.paywall').waitFor({ state: 'visible' });
  assert.equal(await page.locator('.paywall').getAttribute('data-required'), required);
  const dom = await page.content();
  for (const c of CANARIES) assert.ok(!dom.includes(c) && !body.includes(c), `the teaser carries ${c}`);
}

async function assertFull(page, canary) {
  await page.getByText(canary, { exact: false }).first().waitFor({ state: 'visible' });
  assert.equal(await page.locator('.paywall').count(), 0, 'a full page has no paywall');
}

/** The session token has expired (the browser drops the cookie at its Max-Age). */
async function expireToken(context) {
  await context.clearCookies({ name: '__Host-lyceum_session' });
  assert.ok((await context.cookies()).some((c) => c.name === '__Host-lyceum_renew'), 'the renewal cookie stays');
}

/** Sign up with a new address on the sign-in page and confirm by the emailed link. */
async function signUp(page, email) {
  await go(page, '/signin/');
  const seen = server.mails().length;
  await page.locator('#signin-email').fill(email);
  await Promise.all([page.waitForURL('**/signin/sent/'), page.locator('form[action="/_lyceum/signin"] button').click()]);
  const mail = await waitFor(() => server.mails().slice(seen).find((m) => m.to === email), { what: `a mail to ${email}` });
  const link = mail.text.match(/http:\/\/127\.0\.0\.1:\d+\/_lyceum\/confirm\?t=[A-Za-z0-9_-]{43}/)[0];
  await go(page, link);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.locator('form[action="/_lyceum/confirm"] button').click()]);
  await page.locator('#lyceum-account .who').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#lyceum-account .who').innerText(), 'Member');
}

/** Follow a paywall button to the stand-in Payment Link: its query, checked. */
async function payVia(page, button, link, email) {
  await Promise.all([page.waitForURL((u) => u.host === 'buy.stripe.com'), button.click()]);
  await page.getByText('Pay Fixture Academy').waitFor({ state: 'visible' });
  const u = new URL(page.url());
  assert.equal(`${u.origin}${u.pathname}`, link, 'the configured Payment Link');
  assert.equal(u.searchParams.get('prefilled_email'), email);
  const member = u.searchParams.get('client_reference_id');
  assert.match(member ?? '', /^[A-Za-z0-9_-]{16,}$/, 'the member id as client_reference_id');
  return member;
}

/** Post a signed event to the worker, as Stripe does. */
async function deliver(type, object, created = stripe.nowSecs()) {
  const body = JSON.stringify(stripe.event(type, object, { created }));
  const r = await stripe.post(server.base, body, stripe.signature(body, WHSEC));
  assert.equal(r.status, 200, `${type}: ${r.body}`);
}

// ---------- journeys ----------

describe('paying in the browser, on wrangler dev', () => {
  test('Join Pro → the Payment Link → paid → the pro page opens → canceled → a teaser again', { timeout: 90_000 }, async () => {
    const { context, page, errors } = await open();
    const email = `payer-${process.pid}@example.org`;
    await signUp(page, email);

    let { body } = await go(page, PRO_PAGE);
    await assertTeaser(page, body, 'pro');
    await shot(page, '1-pro-teaser');
    const member = await payVia(page, page.locator('#offer-level-pro'), PRO_LINK, email);
    assert.equal(standIn.visits.length, 1, 'the stand-in was asked once');
    assert.equal(standIn.visits[0], page.url());
    await shot(page, '2-payment-link');

    // Stripe's webhooks for the payment: the subscription and the completed checkout.
    const sub = { id: `sub_browser_${process.pid}`, customer: `cus_browser_${process.pid}` };
    const t0 = stripe.nowSecs();
    await deliver('customer.subscription.created', stripe.subscription({ ...sub, price: PRO_PRICE }), t0);
    await deliver('checkout.session.completed', stripe.checkoutSession({
      mode: 'subscription', member, email, customer: sub.customer, paymentLink: PRO_PLINK, subscription: sub.id,
    }), t0);

    // Within the token's lifetime the page is still a teaser (the token says member)…
    await Promise.all([page.waitForURL((u) => u.pathname === PRO_PAGE), page.locator('#back').click()]);
    await assertTeaser(page, await page.content(), 'pro');
    // …and once it has expired, the renewal reads the subscription: pro.
    await expireToken(context);
    await go(page, PRO_PAGE);
    await assertFull(page, PRO_CANARY);
    await page.locator('#lyceum-account .who').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#lyceum-account .who').innerText(), 'Pro');
    await shot(page, '3-pro-full');

    await deliver('customer.subscription.deleted', stripe.subscription({ ...sub, status: 'canceled', price: PRO_PRICE }), t0 + 10);
    await expireToken(context);
    ({ body } = await go(page, PRO_PAGE));
    await assertTeaser(page, body, 'pro');
    await go(page, MEMBER_PAGE);
    await page.locator('article').first().waitFor();
    assert.equal(await page.locator('.paywall').count(), 0, 'still a free member: the member page opens');
    await shot(page, '4-pro-teaser-again');
    assert.deepEqual(errors.map(String), []);
  });

  test('Buy this course → the Payment Link → paid → its chapters open, other pro pages do not', { timeout: 90_000 }, async () => {
    const { context, page, errors } = await open();
    const email = `course-buyer-${process.pid}@example.org`;
    await signUp(page, email);
    const { body } = await go(page, COURSE_PAGE);
    await assertTeaser(page, body, 'pro');
    assert.equal(await page.locator('.paywall').getAttribute('data-product'), 'rust-course');
    const member = await payVia(page, page.getByRole('link', { name: 'Buy this course' }), COURSE_LINK, email);
    await deliver('checkout.session.completed', {
      ...stripe.checkoutSession({
        mode: 'payment', member, email, paymentLink: COURSE_PLINK, paymentIntent: `pi_browser_${process.pid}`,
      }),
      amount_total: 4900,
      currency: 'usd',
    });
    await expireToken(context);
    await go(page, COURSE_PAGE);
    await assertFull(page, COURSE_CANARY);
    await shot(page, '5-course-full');
    const pro = await go(page, PRO_PAGE);
    await assertTeaser(page, pro.body, 'pro');
    // The account page: the level, the course owned and what was bought.
    await go(page, '/account/');
    await page.locator('#lyceum-account-plan').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#lyceum-plan-level').innerText(), 'Member');
    assert.equal(await page.locator('#lyceum-plan-products').innerText(), 'The Rust Course');
    const row = page.locator('#lyceum-plan-history tr').first();
    assert.deepEqual(await row.locator('td').allInnerTexts(), [new Date().toISOString().slice(0, 10), 'Payment', '$49.00']);
    await shot(page, '6-account');
    assert.deepEqual(errors.map(String), []);
  });
});

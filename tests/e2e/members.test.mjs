// The member layer end to end: the real worker on a local workerd (`wrangler dev`) with a
// local D1 (migrations applied as a deploy applies them) and the local Email Service
// binding, which writes each message to a file that these tests read. Sign-up, the emailed
// link and code, sessions and their renewal, sign-out, the admin API, and the attacks on
// each: replayed links, guessed codes, enumeration, cross-site posts, cookie tossing,
// oversized and malformed input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  ROOT, buildFixture, ensureWorker, fixtureCanaries, lyceumBin, request, startWrangler, tempDir, waitFor, writeDevVars,
} from './lib/harness.mjs';
import { makeKeys, now, sign } from './lib/jwt.mjs';

const dir = tempDir('lyceum-e2e-members-');
ensureWorker();
// The pro level is sold by a Stripe price (the one in Stripe's own subscription fixture).
const PRO_PRICE = 'price_1PgafmB7WZ01zgkW6dKueIc5';
const dist = buildFixture(dir, {
  siteYaml: 'members:\n  signup: open\n  free_level: member\n  link_minutes: 5',
  edit: (yaml) => yaml.replace('  - id: pro\n', `  - id: pro\n    link: https://buy.stripe.com/test_pro\n    stripe_prices: [${PRO_PRICE}]\n`),
});
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '_gated/manifest.json'), 'utf8'));
const CANARIES = fixtureCanaries();
const pages = Object.entries(manifest.entries).filter(([, e]) => e.teaser).map(([url, e]) => ({ url, ...e }));
const memberPage = pages.find((e) => e.level === 'member');
const proPage = pages.find((e) => e.level === 'pro');
const keys = makeKeys();
const ADMIN = 'admin-secret-for-the-e2e-suite-0123456789';
const WHSEC = `whsec_${'e2e'.repeat(12)}`;
const stateDir = path.join(dir, 'state');
writeDevVars(path.join(dir, '.dev.vars'), {
  LYCEUM_JWT_SECRET: keys.secret,
  LYCEUM_ADMIN_SECRET: ADMIN,
  LYCEUM_EMAIL_FROM: 'members@academy.example',
  LYCEUM_LOG_D1: '1',
  LYCEUM_STRIPE_WEBHOOK_SECRET: WHSEC,
});

let server;
// Each test comes from its own client address (wrangler dev passes CF-Connecting-IP on,
// which Cloudflare sets itself in production), so per-IP limits meet only the tests
// that aim at them.
let ips = 0;
let ip;
beforeEach(() => {
  ip = `198.51.100.${++ips}`;
});
before(async () => {
  server = await startWrangler({ dist, envFile: path.join(dir, '.dev.vars'), stateDir, mail: true });
});
after(async () => server?.stop());

// ---------- helpers ----------

const full = (e) => fs.readFileSync(path.join(dist, e.file), 'utf8');
const teaser = (e) => fs.readFileSync(path.join(dist, e.teaser), 'utf8');
const wire = (url) => encodeURI(url);

/** No canary, no secret of ours in any answer (the Set-Cookie values are the exception). */
function clean(r, what, secrets = []) {
  const headers = r.rawHeaders.filter((_, i, a) => i % 2 === 1 && a[i - 1].toLowerCase() !== 'set-cookie').join('\n');
  for (const c of CANARIES) assert.ok(!r.body.includes(c) && !headers.includes(c), `${what}: leaks ${c}`);
  for (const s of [ADMIN, keys.secret, ...secrets].filter((x) => x && x.length >= 6)) {
    assert.ok(!r.body.includes(s) && !headers.includes(s), `${what}: echoes a secret`);
  }
}

/** A GET; a member's full page may carry its canaries (`member: true`), nothing else may. */
async function get(p, headers = {}, secrets, { member = false } = {}) {
  const r = await request(server.base, p, { headers });
  if (!member) clean(r, `GET ${p}`, secrets);
  return r;
}
/** A GET as a member: the full page's canaries are expected. */
const read = (p, headers) => get(p, headers, [], { member: true });

/** A form POST as a browser sends it from this site (unless `headers` says otherwise). */
async function post(p, form, headers = {}, secrets) {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  const r = await request(server.base, p, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded', Origin: server.base, 'Sec-Fetch-Site': 'same-origin', 'CF-Connecting-IP': ip, ...headers,
    },
  });
  clean(r, `POST ${p}`, secrets);
  return r;
}

async function admin(method, p, json) {
  const r = await request(server.base, `/_lyceum/admin/${p}`, {
    method,
    body: json && JSON.stringify(json),
    headers: { Authorization: `Bearer ${ADMIN}`, ...(json ? { 'Content-Type': 'application/json' } : {}) },
  });
  clean(r, `admin ${p}`);
  return r;
}

/** `name=value` of each Set-Cookie, and the whole header by name. */
function setCookies(r) {
  const out = {};
  for (const c of r.headers['set-cookie'] ?? []) out[c.split('=')[0]] = c;
  return out;
}
const pair = (c) => c.split(';')[0];
const value = (c) => pair(c).slice(pair(c).indexOf('=') + 1);
const jar = (r) => Object.values(setCookies(r)).map(pair).join('; ');

/** Ask for a sign-in mail for `email`; the mail as the local binding wrote it. */
async function askMail(email, next = '/') {
  const seen = server.mails().length;
  const r = await post('/_lyceum/signin', { email, next });
  assert.equal(r.status, 303, `sign-in for ${email}`);
  assert.equal(r.headers.location, '/signin/sent/');
  // Mails go out after the answer, so others' may land in between: find this one.
  const mail = await waitFor(() => server.mails().slice(seen).find((m) => m.to === email.toLowerCase()),
    { what: () => `a mail to ${email} in wrangler's output:\n${server.output()}` });
  const link = mail.text.match(/http:\/\/127\.0\.0\.1:\d+\/_lyceum\/confirm\?t=([A-Za-z0-9_-]{43})/);
  const code = mail.text.match(/\b(\d{6})\b/);
  assert.ok(link && code, `link and code in the mail:\n${mail.text}`);
  return { mail, url: link[0], secret: link[1], code: code[1] };
}

/** Sign in as `email` by the emailed link; the 303's cookies. */
async function signIn(email, next = '/') {
  const { secret } = await askMail(email, next);
  const r = await post('/_lyceum/confirm', { t: secret }, {}, [secret]);
  assert.equal(r.status, 303);
  return { r, cookie: jar(r), cookies: setCookies(r) };
}

/** Run SQL on the local D1 the worker uses (as `wrangler d1 execute` does against production). */
function d1(sql) {
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/wrangler'),
    ['d1', 'execute', 'DB', '--local', '--config', server.config, '--persist-to', stateDir, '--command', sql],
    { cwd: path.dirname(server.config), env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

// ---------- first of all ----------

describe('a fresh isolate', () => {
  // Runs first: nothing gated has been asked yet, so the manifest is not loaded. A renewal
  // then came after the manifest load on the async path, which refused to re-enter
  // itself: a 500 instead of the page.
  test('its first gated request may be a renewal: the page opens', async () => {
    const { cookies } = await signIn('first@example.org');
    const r = await read(wire(memberPage.url), { Cookie: pair(cookies['__Host-lyceum_renew']) });
    assert.equal(r.status, 200);
    assert.equal(r.body, full(memberPage));
    assert.ok(setCookies(r)['__Host-lyceum_session'], 'renewed');
  });
});

// ---------- the journey ----------

describe('sign-up and sign-in by email', () => {
  test('a newcomer signs up, opens the link (a GET consumes nothing), confirms, reads, signs out', async () => {
    const { mail, url, secret } = await askMail('Newcomer@Example.org', wire(memberPage.url));
    assert.equal(mail.from, '"Fixture Academy" <members@academy.example>');
    assert.ok(mail.html.includes(secret), 'the html part carries the link too');
    // A mail scanner's GETs: the confirm page, twice, consuming nothing.
    const linkPath = url.slice(server.base.length);
    for (let i = 0; i < 2; i++) {
      const page = await get(linkPath, {}, []);
      assert.equal(page.status, 200, `${linkPath} → ${page.headers.location}`);
      assert.match(page.headers['content-type'], /text\/html/);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.ok(page.body.includes(`value="${secret}"`), 'the form carries the link secret');
      assert.match(page.body, /<form[^>]+method="post"[^>]+action="\/_lyceum\/confirm"/);
      assert.equal(page.headers['set-cookie'], undefined);
    }
    const r = await post('/_lyceum/confirm', { t: secret }, {}, [secret]);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, wire(memberPage.url));
    const c = setCookies(r);
    for (const name of ['__Host-lyceum_session', '__Host-lyceum_renew']) {
      assert.ok(c[name], `${name} set`);
      for (const attr of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/']) assert.ok(c[name].includes(attr), `${name}: ${attr}`);
      assert.doesNotMatch(c[name], /Domain=/i, `${name}: host-only`);
    }
    const ttl = Number(c['__Host-lyceum_session'].match(/Max-Age=(\d+)/)[1]);
    assert.ok(ttl > 0 && ttl <= 3600, `the session token lives at most an hour (${ttl} s)`);
    assert.match(c.lyceum_signed_in, /^lyceum_signed_in=1; Secure; SameSite=Lax; Path=\/; Max-Age=\d+$/);

    const cookie = jar(r);
    const page = await read(wire(memberPage.url), { Cookie: cookie });
    assert.equal(page.body, full(memberPage), 'a member page opens for the new free member');
    assert.equal((await get(wire(proPage.url), { Cookie: cookie })).body, teaser(proPage), 'but not a pro page');
    const me = JSON.parse((await get('/_lyceum/me', { Cookie: cookie })).body);
    assert.equal(me.level, 'member');

    const out = await post('/_lyceum/signout', {}, { Cookie: cookie });
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/');
    for (const [name, v] of Object.entries(setCookies(out))) assert.match(v, /Max-Age=0/, `${name} cleared`);
    // The ended session renews nothing: without a live token the page is the teaser again.
    const renewOnly = pair(c['__Host-lyceum_renew']);
    const after = await get(wire(memberPage.url), { Cookie: renewOnly });
    assert.equal(after.body, teaser(memberPage));
    assert.match(after.headers['set-cookie']?.join('\n') ?? '', /__Host-lyceum_renew=;.*Max-Age=0/, 'its cookies are cleared');
  });

  test('a link works once: a second confirm is refused', async () => {
    const { secret } = await askMail('twice@example.org');
    assert.equal((await post('/_lyceum/confirm', { t: secret }, {}, [secret])).status, 303);
    const again = await post('/_lyceum/confirm', { t: secret }, {}, [secret]);
    assert.deepEqual([again.status, again.headers.location, again.headers['set-cookie']], [303, '/signin/invalid/', undefined]);
  });

  test('the code signs in once; the 6th try is refused even with the right code', async () => {
    const { code } = await askMail('coder@example.org');
    const ok = await post('/_lyceum/code', { email: 'coder@example.org', code }, {}, [code]);
    assert.equal(ok.status, 303);
    assert.ok(setCookies(ok)['__Host-lyceum_session'], 'the code signs in');
    const { code: second } = await askMail('coder@example.org');
    const wrong = second === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const r = await post('/_lyceum/code', { email: 'coder@example.org', code: wrong }, {}, [second]);
      assert.equal(r.headers['set-cookie'], undefined, `wrong try ${i + 1}`);
      assert.match(r.headers.location, /^\/signin\/(invalid|later)\/$/);
    }
    const sixth = await post('/_lyceum/code', { email: 'coder@example.org', code: second }, {}, [second]);
    assert.equal(sixth.headers['set-cookie'], undefined, 'locked after 5 wrong codes');
    assert.match(sixth.headers.location, /^\/signin\/(invalid|later)\/$/);
  });

  test('an expired link and an expired code are refused', async () => {
    const { secret, code } = await askMail('late@example.org');
    d1('UPDATE signin_tokens SET expires_at = 1');
    const link = await post('/_lyceum/confirm', { t: secret }, {}, [secret]);
    assert.deepEqual([link.headers.location, link.headers['set-cookie']], ['/signin/invalid/', undefined]);
    const byCode = await post('/_lyceum/code', { email: 'late@example.org', code }, {}, [code]);
    assert.equal(byCode.headers['set-cookie'], undefined);
  });

  test('enumeration: a member and a stranger get the same answer', async () => {
    await signIn('known@example.org');
    const answers = [];
    const seen = server.mails().length;
    for (const email of ['known@example.org', 'stranger@example.org']) {
      const r = await post('/_lyceum/signin', { email, next: '/' });
      const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !['date', 'cf-ray'].includes(k)));
      answers.push({ status: r.status, headers, body: r.body });
    }
    assert.deepEqual(answers[0], answers[1]);
    // Both get a mail (a sign-in and a sign-up), after the answer.
    await waitFor(() => server.mails().slice(seen).length >= 2, { what: 'the two mails' });
  });
});

// ---------- attacks on the forms ----------

describe('the forms refuse what a browser on this site would not send', () => {
  test('cross-site POSTs are refused and send no mail', async () => {
    const before = server.mails().length;
    for (const headers of [
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': undefined },
      { Origin: undefined, 'Sec-Fetch-Site': 'same-site' },
      { Origin: undefined, 'Sec-Fetch-Site': undefined },
    ]) {
      const h = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
      const r = await request(server.base, '/_lyceum/signin', {
        method: 'POST', body: 'email=victim%40example.org', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...h },
      });
      assert.equal(r.status, 403, JSON.stringify(h));
      for (const p of ['/_lyceum/signout', '/_lyceum/account/delete', '/_lyceum/confirm']) {
        const o = await request(server.base, p, { method: 'POST', body: 'everywhere=1', headers: h });
        assert.equal(o.status, 403, `${p} ${JSON.stringify(h)}`);
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.mails().length, before, 'no mail for a cross-site form');
  });

  test('state changes are POST only', async () => {
    for (const p of ['/_lyceum/signin', '/_lyceum/code', '/_lyceum/signout', '/_lyceum/account/delete']) {
      const r = await get(p);
      assert.equal(r.status, 405, p);
      assert.equal(r.headers.allow, 'POST');
    }
  });

  test('oversized bodies: 413, the declared length checked before reading', async () => {
    const big = await post('/_lyceum/signin', `email=${'a'.repeat(11 * 1024)}%40example.org`);
    assert.equal(big.status, 413);
    // Over the import limit (5 MiB) even where imports are allowed.
    const huge = await request(server.base, '/_lyceum/admin/members/import', {
      method: 'POST', body: 'e'.repeat(6 * 1024 * 1024), headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'text/csv' },
    });
    const declared = huge.status;
    assert.equal(declared, 413);
  });

  test('malformed addresses: the form again with an error, no mail; a unicode address is fine', async () => {
    const before = server.mails().length;
    for (const email of ['a@x.io\r\nBcc: victim@example.org', 'a@x.io\nBcc: v@y.io', `${'a'.repeat(10_000)}@x.io`, '<a@x.io>',
      "x@y.io'; DROP TABLE members; --", 'plainaddress', '']) {
      const r = await post('/_lyceum/signin', { email });
      assert.equal(r.status, 303, JSON.stringify(email.slice(0, 40)));
      assert.equal(r.headers.location, '/signin/?error=email');
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.mails().length, before, 'nothing was sent');
    const { mail } = await askMail('读者@例子.中国');
    assert.equal(mail.to, '读者@例子.中国');
  });

  test('SQL metacharacters are data: an apostrophe address and a name round-trip, the tables stand', async () => {
    const email = "o'brien+x@example.org";
    await signIn(email);
    const added = await admin('POST', 'members', { email: 'robert@example.org', name: "Robert'); DROP TABLE members;--" });
    assert.equal(added.status, 201);
    const shown = JSON.parse((await admin('GET', `member?email=${encodeURIComponent(email)}`)).body);
    assert.equal(shown.member?.email ?? shown.email, email);
    const list = JSON.parse((await admin('GET', 'members')).body).members;
    assert.ok(list.some((m) => m.name === "Robert'); DROP TABLE members;--"), 'the name is stored as written');
  });
});

// ---------- rate limits ----------

describe('rate limits, counted in D1', () => {
  test('a recipient cannot be mail-bombed: the 4th request in 15 minutes sends nothing', async () => {
    const email = 'bombed@example.org';
    for (let i = 0; i < 3; i++) await askMail(email);
    const count = server.mails().length;
    for (const client of ['203.0.113.1', '203.0.113.2']) {
      const r = await post('/_lyceum/signin', { email }, { 'CF-Connecting-IP': client });
      assert.equal(r.headers.location, '/signin/later/', `from ${client}: try later`);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.mails().length, count, 'no 4th mail, from any address');
  });

  test('one client address: 20 sign-in requests an hour, then locked out', async () => {
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push((await post('/_lyceum/signin', { email: `flood${i}@example.org` })).headers.location);
    assert.deepEqual(answers.slice(0, 20), Array(20).fill('/signin/sent/'));
    assert.equal(answers[20], '/signin/later/');
    // Another client is not affected.
    ip = '198.51.100.250';
    assert.equal((await askMail('neighbour@example.org')).mail.to, 'neighbour@example.org');
  });
});

// ---------- sessions ----------

describe('sessions', () => {
  test('a gated request with a live session reads no database', async () => {
    const confirms = () => server.output().match(/lyceum: d1 \/_lyceum\/confirm /g)?.length ?? 0;
    const seen = confirms();
    const { cookie } = await signIn('reader@example.org');
    // The sign-in's own D1 line is logged when wrangler relays it: wait for it first.
    await waitFor(() => confirms() > seen, { what: 'the confirm route\'s D1 line' });
    const before = server.output().length;
    assert.equal((await read(wire(memberPage.url), { Cookie: cookie })).body, full(memberPage));
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(server.output().slice(before), /lyceum: d1 /, 'no D1 statement for a live session');
  });

  test('an expired session token renews from the sessions table; a tossed renewal cookie does not', async () => {
    const { cookies } = await signIn('renew@example.org');
    const renew = pair(cookies['__Host-lyceum_renew']);
    const claims = JSON.parse(Buffer.from(value(cookies['__Host-lyceum_session']).split('.')[1], 'base64url'));
    const expired = sign('HS256', { ...claims, exp: now() - 1 }, keys.secret, { header: { typ: 'lyceum-session' } });
    for (const cookie of [renew, `__Host-lyceum_session=${expired}; ${renew}`]) {
      const r = await read(wire(memberPage.url), { Cookie: cookie });
      assert.equal(r.body, full(memberPage), `renewed: ${cookie.slice(0, 30)}`);
      const fresh = setCookies(r)['__Host-lyceum_session'];
      assert.ok(fresh && fresh.includes('HttpOnly'), 'a new session cookie');
      assert.equal(r.headers['cache-control'], 'private, no-store');
      const again = await read(wire(memberPage.url), { Cookie: pair(fresh) });
      assert.equal(again.body, full(memberPage), 'the renewed token opens the page alone');
    }
    // A sibling subdomain can plant `lyceum_renew`, never `__Host-lyceum_renew`.
    const tossed = await get(wire(memberPage.url), { Cookie: renew.replace('__Host-', '') });
    assert.equal(tossed.body, teaser(memberPage));
  });

  test('a level changed by the admin takes effect at the next renewal; revocation ends the session', async () => {
    const { cookies } = await signIn('climber@example.org');
    const renew = pair(cookies['__Host-lyceum_renew']);
    assert.equal((await admin('POST', 'member/level', { email: 'climber@example.org', level: 'pro' })).status, 200);
    const up = await read(wire(proPage.url), { Cookie: renew });
    assert.equal(up.body, full(proPage), 'raised to pro at renewal');
    const proToken = pair(setCookies(up)['__Host-lyceum_session']);
    assert.equal((await admin('POST', 'member/level', { email: 'climber@example.org', level: 'member' })).status, 200);
    // Within the window the live token still says pro (at most token_minutes); renewal says member.
    assert.equal((await read(wire(proPage.url), { Cookie: proToken })).body, full(proPage));
    assert.equal((await get(wire(proPage.url), { Cookie: renew })).body, teaser(proPage), 'lowered at renewal');
    const revoked = JSON.parse((await admin('POST', 'member/revoke-sessions', { email: 'climber@example.org' })).body);
    assert.ok(revoked.revoked >= 1);
    const gone = await get(wire(memberPage.url), { Cookie: renew });
    assert.equal(gone.body, teaser(memberPage));
    const cleared = setCookies(gone);
    for (const name of ['__Host-lyceum_session', '__Host-lyceum_renew', 'lyceum_signed_in']) assert.match(cleared[name] ?? '', /Max-Age=0/, name);
  });

  test('sign out everywhere ends every session of the member', async () => {
    const a = await signIn('everywhere@example.org');
    const b = await signIn('everywhere@example.org');
    const out = await post('/_lyceum/signout', { everywhere: '1' }, { Cookie: a.cookie });
    assert.equal(out.status, 303);
    const other = await get(wire(memberPage.url), { Cookie: pair(b.cookies['__Host-lyceum_renew']) });
    assert.equal(other.body, teaser(memberPage), 'the other device is signed out too');
  });

  test('a member downloads their data and deletes their account', async () => {
    const { cookie } = await signIn('leaver@example.org');
    const data = await get('/_lyceum/account/data', { Cookie: cookie });
    assert.equal(data.status, 200);
    assert.match(data.headers['content-disposition'], /attachment/);
    assert.ok(data.body.includes('leaver@example.org'));
    const refused = await post('/_lyceum/account/delete', { confirm: 'no' }, { Cookie: cookie });
    assert.equal(refused.status, 400);
    const del = await post('/_lyceum/account/delete', { confirm: 'delete' }, { Cookie: cookie });
    assert.equal(del.status, 303);
    assert.equal((await admin('GET', 'member?email=leaver%40example.org')).status, 404);
  });
});

// ---------- administration ----------

describe('admin API', () => {
  test('without, with a wrong and with the right secret', async () => {
    const none = await request(server.base, '/_lyceum/admin/members');
    assert.equal(none.status, 401);
    for (const wrong of [`Bearer ${ADMIN}x`, `Bearer ${ADMIN.slice(0, -1)}`, 'Basic YWRtaW46YWRtaW4=', `bearer ${ADMIN}`]) {
      const r = await request(server.base, '/_lyceum/admin/members', { headers: { Authorization: wrong } });
      clean(r, 'admin wrong');
      assert.ok([401, 429].includes(r.status), `${wrong.slice(0, 8)}…: ${r.status}`);
      assert.ok(!r.body.includes(ADMIN));
    }
    const ok = await admin('GET', 'members');
    assert.equal(ok.status, 200);
    assert.ok(Array.isArray(JSON.parse(ok.body).members));
    const csv = await admin('GET', 'members/export');
    assert.match(csv.headers['content-type'], /text\/csv/);
    assert.match(csv.body.split('\n')[0], /email/);
  });
});

// ---------- lyceum members against wrangler dev ----------

describe('lyceum members (the CLI) against the worker', () => {
  const cli = (...args) => {
    const r = spawnSync(lyceumBin(), ['members', '--url', server.base, ...args],
      { encoding: 'utf8', env: { ...process.env, LYCEUM_ADMIN_SECRET: ADMIN } });
    assert.ok(!`${r.stdout}${r.stderr}`.includes(ADMIN), 'the CLI never prints the secret');
    return r;
  };
  test('add, set-level with an end date, show, list, export, grant and revoke a course, revoke-sessions, remove', () => {
    const email = 'cli-member@example.org';
    assert.equal(cli('add', email, '--name', 'Ada CLI', '--level', 'member').status, 0);
    assert.equal(cli('set-level', email, 'pro', '--until', '2099-01-01').status, 0);
    const shown = cli('show', email);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /pro/);
    assert.match(shown.stdout, /2099-01-01/);
    assert.match(cli('list', '--level', 'pro').stdout, /cli-member@example\.org/);
    assert.match(cli('export').stdout, /cli-member@example\.org/);
    assert.equal(cli('grant', email, 'rust-course', '--until', '2099-06-30').status, 0);
    assert.match(cli('show', email).stdout, /rust-course/, 'a granted course is shown');
    assert.match(cli('revoke', email, 'rust-course').stdout, /revoked rust-course/);
    assert.doesNotMatch(cli('show', email).stdout, /rust-course/);
    assert.equal(cli('revoke-sessions', email).status, 0);
    assert.equal(cli('remove', email).status, 0);
    assert.notEqual(cli('show', email).status, 0, 'gone');
    const wrong = spawnSync(lyceumBin(), ['members', '--url', server.base, 'list'],
      { encoding: 'utf8', env: { ...process.env, LYCEUM_ADMIN_SECRET: 'not-the-secret' } });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /secret/i);
  });
});

// ---------- the Stripe webhook (the route; event application is issue 12) ----------

describe('POST /_lyceum/webhooks/stripe', () => {
  const event = JSON.stringify({ id: `evt_e2e_${process.pid}`, object: 'event', type: 'customer.created', created: now(),
    data: { object: { id: 'cus_e2e', object: 'customer', email: 'payer@example.org' } } });
  const signature = (body, t = now(), secret = WHSEC) =>
    `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
  const deliver = (body, sig) => request(server.base, '/_lyceum/webhooks/stripe', {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', ...(sig ? { 'Stripe-Signature': sig } : {}) },
  });
  test('signed as Stripe signs it: accepted, twice (a retry changes nothing)', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await deliver(event, signature(event))).status, 200);
  });
  test('unsigned, wrongly signed, replayed or tampered: 400, nothing echoed', async () => {
    const sig = signature(event);
    for (const [what, body, s] of [
      ['no signature', event, undefined],
      ['another secret', event, signature(event, now(), 'whsec_other')],
      ['a timestamp older than 300 s', event, signature(event, now() - 301)],
      ['a tampered body', event.replace('payer@', 'thief@'), sig],
    ]) {
      const r = await deliver(body, s);
      assert.equal(r.status, 400, what);
      assert.ok(!r.body.includes(WHSEC) && !r.body.includes('v1='), `${what}: echoes nothing`);
    }
  });
});

describe('a Stripe subscription on wrangler dev with D1 (events from Stripe\'s fixtures)', () => {
  const objects = JSON.parse(fs.readFileSync(path.join(ROOT, 'edge-worker/members/tests/fixtures/stripe/objects.json'), 'utf8'));
  const signature = (body, t = now()) =>
    `t=${t},v1=${crypto.createHmac('sha256', WHSEC).update(`${t}.${body}`).digest('hex')}`;
  let n = 0;
  const deliver = async (type, object, created = now()) => {
    const body = JSON.stringify({ ...objects.event, id: `evt_e2e_sub_${process.pid}_${++n}`, type, created, data: { object } });
    const r = await request(server.base, '/_lyceum/webhooks/stripe', {
      method: 'POST', body, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature(body) },
    });
    assert.equal(r.status, 200, `${type}: ${r.body}`);
  };
  const subscription = (status) => {
    const s = structuredClone(objects.subscription);
    s.status = status;
    s.customer = 'cus_e2e_buyer';
    s.items.data[0].price.id = PRO_PRICE;
    s.items.data[0].current_period_end = now() + 30 * 86_400;
    return s;
  };

  test('checkout → pro at the next renewal; the subscription deleted → member again; out of order changes nothing', async () => {
    const { cookies } = await signIn('buyer@example.org');
    const renew = pair(cookies['__Host-lyceum_renew']);
    const me = JSON.parse((await get('/_lyceum/me', { Cookie: pair(cookies['__Host-lyceum_session']) })).body);
    assert.equal((await get(wire(proPage.url), { Cookie: renew })).body, teaser(proPage), 'not pro yet');

    // Join Pro: the checkout route sends the member to the Payment Link with their id.
    const out = await get('/_lyceum/checkout/pro', { Cookie: renew });
    assert.equal(out.status, 303);
    const link = new URL(out.headers.location);
    assert.equal(`${link.origin}${link.pathname}`, 'https://buy.stripe.com/test_pro');
    assert.equal(link.searchParams.get('client_reference_id'), me.sub);
    assert.equal(link.searchParams.get('prefilled_email'), 'buyer@example.org');

    const session = structuredClone(objects['checkout.session']);
    Object.assign(session, { mode: 'subscription', status: 'complete', payment_status: 'paid', client_reference_id: me.sub,
      customer: 'cus_e2e_buyer', subscription: objects.subscription.id, payment_intent: null,
      line_items: { object: 'list', data: [{ price: { id: PRO_PRICE } }] } });
    session.customer_details = { ...session.customer_details, email: 'buyer@example.org' };
    const t0 = now();
    await deliver('customer.subscription.created', subscription('active'), t0);
    await deliver('checkout.session.completed', session, t0);
    assert.equal((await read(wire(proPage.url), { Cookie: renew })).body, full(proPage), 'pro after paying');

    await deliver('customer.subscription.deleted', subscription('canceled'), t0 + 10);
    // An update from before the cancellation arrives late: it changes nothing.
    await deliver('customer.subscription.updated', subscription('active'), t0 + 5);
    assert.equal((await get(wire(proPage.url), { Cookie: renew })).body, teaser(proPage), 'a teaser again');
    assert.equal((await read(wire(memberPage.url), { Cookie: renew })).body, full(memberPage), 'still a free member');
  });
});

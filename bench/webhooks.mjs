// Benchmark (not a test): Stripe webhooks on local `wrangler dev` (workerd, a local D1).
// For each event type, the D1 work the worker did (statements, rows read and written,
// from its `LYCEUM_LOG_D1` lines) and the user workerd's CPU per event (/proc schedstat,
// around blocks of sequential keep-alive deliveries). Events are built from Stripe's
// fixtures (tests/e2e/lib/stripe.mjs) and signed; every delivery is a new event about
// fresh objects, so each one does its real work (a duplicate is measured as one).
// Rounds run the types in their order of life (checkout, the subscription's events, the
// invoices, the cancellation; a purchase, its refund, another purchase and its dispute), so
// machine load falls on all types alike. Local figures: D1 here is SQLite inside the same
// workerd, so the CPU includes the database's own work (on Cloudflare that is D1's, not
// the Worker's), and the HMAC and JSON parse of the body.
//
//   LYCEUM_WORKER_PREBUILT=1 node bench/webhooks.mjs [--rounds 20] [--block 5]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { buildFixture, ensureWorker, startWrangler, tempDir, waitFor, writeDevVars } from '../tests/e2e/lib/harness.mjs';
import * as stripe from '../tests/e2e/lib/stripe.mjs';
import { cpuNs, workerdPids } from './cpu.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 20);
const BLOCK = arg('block', 5);
const D1_ROUNDS = 2; // the first rounds, one event at a time, each waiting for its D1 line

const PRICE = { member: 'price_bench_member', pro: 'price_1PgafmB7WZ01zgkW6dKueIc5', course: 'price_bench_course' };
const WHSEC = `whsec_${'bench'.repeat(8)}`;
const ADMIN = 'bench-admin-'.padEnd(40, 'y');

ensureWorker();
const dir = tempDir('lyceum-bench-webhooks-');
const dist = buildFixture(dir, {
  siteYaml: 'members:\n  signup: open\n  free_level: member',
  edit: (yaml) => yaml
    .replace('  - id: member\n', `  - id: member\n    stripe_prices: [${PRICE.member}]\n`)
    .replace('  - id: pro\n', `  - id: pro\n    stripe_prices: [${PRICE.pro}]\n`)
    .replace('    level: pro\n', `    level: pro\n    stripe_prices: [${PRICE.course}, plink_bench_course]\n`),
});
const vars = path.join(dir, '.dev.vars');
writeDevVars(vars, {
  LYCEUM_JWT_SECRET: 'bench-secret-'.padEnd(48, 'x'), LYCEUM_ADMIN_SECRET: ADMIN, LYCEUM_LOG_D1: '1', LYCEUM_STRIPE_WEBHOOK_SECRET: WHSEC,
});
const server = await startWrangler({ dist, envFile: vars, stateDir: path.join(dir, 'state'), mail: true, devtools: false });
process.on('SIGINT', async () => { await server.stop(); process.exit(130); });

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function send(p, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(server.base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const webhook = (body, sig = stripe.signature(body, WHSEC)) =>
  send('/_lyceum/webhooks/stripe', { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': sig } });

// Members to pay: made by the admin API before anything is measured.
const members = [];
const perRound = BLOCK;
for (let i = 0; i < (ROUNDS + D1_ROUNDS) * perRound; i++) {
  const email = `payer${i}@bench.example`;
  const r = await send('/_lyceum/admin/members', {
    method: 'POST', body: JSON.stringify({ email }), headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
  });
  if (r.status !== 201) throw new Error(`admin add: ${r.status} ${r.body}`);
  const shown = JSON.parse((await send(`/_lyceum/admin/member?email=${encodeURIComponent(email)}`, { headers: { Authorization: `Bearer ${ADMIN}` } })).body);
  members.push({ id: (shown.member ?? shown).id, email });
}

// The types, in order of life; each builds the body of its event for payer number j.
const t0 = stripe.nowSecs() - 3600;
const sub = (j) => ({ id: `sub_bench_${j}`, customer: `cus_bench_${j}` });
const body = (type, object, created, id) => JSON.stringify(stripe.event(type, object, { created, ...(id ? { id } : {}) }));
const TYPES = [
  ['checkout.session.completed (subscription)', (j) => body('checkout.session.completed', stripe.checkoutSession({
    mode: 'subscription', member: members[j].id, email: members[j].email, customer: sub(j).customer, paymentLink: 'plink_bench_member', subscription: sub(j).id,
  }), t0, `evt_bench_checkout_${j}`)],
  ['customer.subscription.created', (j) => body('customer.subscription.created', stripe.subscription({ ...sub(j), price: PRICE.member }), t0)],
  ['customer.subscription.updated (to pro)', (j) => body('customer.subscription.updated', stripe.subscription({ ...sub(j), price: PRICE.pro }), t0 + 10)],
  ['invoice.paid', (j) => body('invoice.paid', stripe.invoice({ ...sub(j), sub: sub(j).id }), t0 + 20)],
  ['invoice.payment_failed', (j) => body('invoice.payment_failed', stripe.invoice({ ...sub(j), sub: sub(j).id, status: 'open' }), t0 + 30)],
  ['customer.subscription.deleted', (j) => body('customer.subscription.deleted', stripe.subscription({ ...sub(j), status: 'canceled', price: PRICE.pro }), t0 + 40)],
  ['checkout.session.completed (course, a member)', (j) => body('checkout.session.completed', stripe.checkoutSession({
    mode: 'payment', member: members[j].id, email: members[j].email, paymentLink: 'plink_bench_course', paymentIntent: `pi_bench_${j}`,
  }), t0 + 50)],
  ['charge.refunded', (j) => body('charge.refunded', stripe.chargeRefunded({ paymentIntent: `pi_bench_${j}`, charge: `ch_bench_${j}` }), t0 + 60)],
  ['checkout.session.completed (course, new buyer)', (j) => body('checkout.session.completed', stripe.checkoutSession({
    mode: 'payment', email: `walkin${j}@bench.example`, paymentLink: 'plink_bench_course', paymentIntent: `pi_bench_new_${j}`,
  }), t0 + 70)],
  ['charge.dispute.created', (j) => body('charge.dispute.created', stripe.dispute({ paymentIntent: `pi_bench_new_${j}`, charge: `ch_bench_new_${j}` }), t0 + 80)],
  ['a duplicate (the checkout again)', (j) => TYPES[0][1](j)],
  ['unknown price (ignored, logged)', (j) => body('customer.subscription.updated', stripe.subscription({ ...sub(j), price: 'price_elsewhere' }), t0 + 90)],
];
const REFUSED = 'refused: wrong signature';

/** The D1 line the worker logs for the next webhook, after `fn` delivers it. */
const lines = () => server.output().split('\n').filter((l) => l.includes('lyceum: d1 /_lyceum/webhooks/stripe '));
async function d1Of(fn) {
  const before = lines().length;
  const r = await fn();
  await waitFor(() => lines().length > before, { what: 'the webhook\'s D1 line' });
  return { r, work: lines().at(-1).slice(lines().at(-1).indexOf('statements=')) };
}

const work = new Map();
const ns = new Map([...TYPES.map(([what]) => [what, []]), [REFUSED, []]]);
const { user } = workerdPids(server);
let j = 0;
for (let round = 0; round < D1_ROUNDS + ROUNDS; round++) {
  const first = j;
  j += perRound;
  for (const [what, make] of TYPES) {
    const bodies = Array.from({ length: perRound }, (_, k) => make(first + k));
    if (round < D1_ROUNDS) {
      for (const b of bodies) {
        const { r, work: w } = await d1Of(() => webhook(b));
        if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}`);
        work.set(what, [...(work.get(what) ?? []), w]);
      }
      continue;
    }
    const before = cpuNs(user);
    for (const b of bodies) {
      const r = await webhook(b);
      if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}`);
    }
    ns.get(what).push((cpuNs(user) - before) / perRound);
  }
  // A signature that does not verify: refused before anything parses it.
  const bad = TYPES[0][1](first);
  if (round < D1_ROUNDS) {
    const { r, work: w } = await d1Of(() => webhook(bad, stripe.signature(bad, 'whsec_not_ours')));
    if (r.status !== 400) throw new Error(`refused: HTTP ${r.status}`);
    work.set(REFUSED, [...(work.get(REFUSED) ?? []), w]);
  } else {
    const before = cpuNs(user);
    for (let k = 0; k < perRound; k++) await webhook(bad, stripe.signature(bad, 'whsec_not_ours'));
    ns.get(REFUSED).push((cpuNs(user) - before) / perRound);
  }
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const fields = (w) => Object.fromEntries(w.split(' ').map((kv) => kv.split('=')));
console.log(`\nper Stripe webhook event (local wrangler dev; CPU: user workerd, median of ${ROUNDS} blocks of ${BLOCK}; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}):\n`);
console.log('| event | statements | rows read | rows written | CPU µs |');
console.log('|---|---|---|---|---|');
for (const what of ns.keys()) {
  // Rows read depend a little on what the indexes hold: a range when they varied.
  const all = work.get(what).map(fields);
  const range = (k) => {
    const v = all.map((f) => Number(f[k]));
    return Math.min(...v) === Math.max(...v) ? `${v[0]}` : `${Math.min(...v)}–${Math.max(...v)}`;
  };
  console.log(`| ${what} | ${range('statements')} | ${range('rows_read')} | ${range('rows_written')} | ${(median(ns.get(what)) / 1000).toFixed(0)} |`);
}
agent.destroy();
await server.stop();

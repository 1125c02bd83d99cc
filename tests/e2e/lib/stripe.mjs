// Stripe-shaped webhook events for the payment tests and benchmarks: every object starts
// from Stripe's own fixtures (../shared/fixtures/stripe/objects.json, kept in the
// repository at edge-worker/members/tests/fixtures/stripe/) and changes only the fields a
// flow sets; each body is signed as Stripe signs it (HMAC-SHA-256 of "<t>.<body>" keyed
// with the whole whsec_… secret).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, request } from './harness.mjs';

export const OBJECTS = JSON.parse(fs.readFileSync(path.join(ROOT, 'edge-worker/members/tests/fixtures/stripe/objects.json'), 'utf8'));
export const DAY = 86_400;
export const nowSecs = () => Math.floor(Date.now() / 1000);

/** `Stripe-Signature` for `body` at `t` with `secret` (one v1, as Stripe sends it). */
export function signature(body, secret, t = nowSecs()) {
  return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

let serial = 0;
/** An event envelope (the fixture's) around `object`; a fresh id unless one is given. */
export function event(type, object, { created = nowSecs(), id = `evt_e2e_${process.pid}_${++serial}` } = {}) {
  return { ...structuredClone(OBJECTS.event), id, type, created, data: { object } };
}

/** The fixture subscription `id` of `customer`, in `status`, with one item at `price`. */
export function subscription({ id, customer, status = 'active', price, periodEnd = nowSecs() + 30 * DAY }) {
  const s = structuredClone(OBJECTS.subscription);
  Object.assign(s, { id, customer, status });
  s.items.data[0].price.id = price;
  s.items.data[0].current_period_end = periodEnd;
  return s;
}

/**
 * A completed, paid checkout session: `mode` subscription (with `subscription`) or payment
 * (with `paymentIntent`), for `member` (client_reference_id, may be null) paying as
 * `email`. As Stripe delivers it, it names its Payment Link (`paymentLink`, plink_…) and
 * no price: events never expand `line_items`. `price` adds them, as a session retrieved
 * with `expand[]=line_items` has them.
 */
export function checkoutSession({ mode, member = null, email, customer = null, paymentLink = null, price, subscription: sub = null, paymentIntent = null }) {
  const s = structuredClone(OBJECTS['checkout.session']);
  Object.assign(s, {
    mode, status: 'complete', payment_status: 'paid', client_reference_id: member, customer, payment_link: paymentLink,
    subscription: mode === 'subscription' ? sub : null,
    payment_intent: mode === 'payment' ? paymentIntent : null,
  });
  if (price) s.line_items = { object: 'list', data: [{ price: { id: price } }] };
  s.customer_details = { ...s.customer_details, email };
  return s;
}

/** The fixture invoice billing subscription `sub` for a period ending at `end`. */
export function invoice({ sub, customer, end = nowSecs() + 30 * DAY, status = 'paid' }) {
  const i = structuredClone(OBJECTS.invoice);
  Object.assign(i, { customer, status });
  i.parent = { type: 'subscription_details', subscription_details: { metadata: {}, subscription: sub } };
  i.lines.data[0].period = { start: end - 30 * DAY, end };
  return i;
}

/** The fixture charge of `paymentIntent`, refunded whole (or `partial`ly). */
export function chargeRefunded({ paymentIntent, charge = `ch_e2e_${++serial}`, partial = false }) {
  const c = structuredClone(OBJECTS.charge);
  Object.assign(c, { id: charge, payment_intent: paymentIntent, refunded: !partial, amount_refunded: partial ? 1 : c.amount });
  return c;
}

/** The fixture dispute of a charge of `paymentIntent`. */
export function dispute({ paymentIntent, charge = `ch_e2e_${++serial}` }) {
  return { ...structuredClone(OBJECTS.dispute), charge, payment_intent: paymentIntent };
}

/** POST a body to the webhook as Stripe does; `sig` overrides the signature header. */
export function post(base, body, sig) {
  return request(base, '/_lyceum/webhooks/stripe', {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', ...(sig === undefined ? {} : { 'Stripe-Signature': sig }) },
  });
}

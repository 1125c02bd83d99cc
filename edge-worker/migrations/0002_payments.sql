-- Payments (issue 12): Stripe subscriptions and one-off purchases.
-- Every change comes from a verified webhook event, recorded in webhook_events in the
-- same atomic batch. Times are seconds since the Unix epoch.

-- The Stripe customer a checkout linked to this member (`cus_…`).
ALTER TABLE members ADD COLUMN stripe_customer TEXT;
CREATE INDEX members_stripe_customer ON members (stripe_customer);

-- The payment a purchase came from (`pi_…`), so a refund or dispute can revoke it.
ALTER TABLE entitlements ADD COLUMN payment_ref TEXT;
CREATE INDEX entitlements_payment ON entitlements (payment_ref);

-- One row per Stripe subscription: the newest state applied, whatever the arrival order.
CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,                 -- sub_…
  member_id TEXT REFERENCES members (id) ON DELETE CASCADE, -- NULL until a checkout links it
  customer TEXT,                       -- cus_…; also finds the member via members.stripe_customer
  status TEXT NOT NULL,                -- Stripe's: active, trialing, past_due, canceled, unpaid, …
  price TEXT,                          -- price_… (the level comes from site.yaml's map at read time)
  current_period_end INTEGER,
  paid_until INTEGER,                  -- the latest period end an invoice paid (or a checkout's provisional end)
  past_due_since INTEGER,              -- when it became past_due (the grace counts from here)
  state_at INTEGER NOT NULL,           -- the event time of the state applied; older events change nothing
  updated_at INTEGER NOT NULL
);
CREATE INDEX subscriptions_member ON subscriptions (member_id);
CREATE INDEX subscriptions_customer ON subscriptions (customer);

-- Payments refunded or disputed (pi_… or ch_…): a purchase of one is never granted, even
-- when the refund arrives before the checkout.
CREATE TABLE revoked_payments (
  ref TEXT PRIMARY KEY,
  reason TEXT NOT NULL,                -- refund | dispute
  at INTEGER NOT NULL
);

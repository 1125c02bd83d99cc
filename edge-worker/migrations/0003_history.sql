-- The account page's purchase history (issue 12): what each recorded Stripe event was
-- worth, in the currency's smallest unit, as Stripe sent it.
ALTER TABLE webhook_events ADD COLUMN amount INTEGER;
ALTER TABLE webhook_events ADD COLUMN currency TEXT;
CREATE INDEX webhook_events_member ON webhook_events (member_id, created);

-- The members database: one schema for Cloudflare D1 (`wrangler d1 migrations apply`)
-- and for the SQLite file of `lyceum serve` (the `members` crate applies this folder).
-- Times are seconds since the Unix epoch. Secrets are stored only as hashes.

CREATE TABLE members (
  id TEXT PRIMARY KEY,                 -- random, the token's `sub`
  email TEXT NOT NULL UNIQUE,          -- normalised (see members::email)
  name TEXT,
  level TEXT,                          -- a level id of site.yaml, or NULL (free)
  level_until INTEGER,                 -- the level ends then (comped, paid-until); NULL = open-ended
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  source TEXT NOT NULL,                -- signup | admin | import | stripe
  note TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- A sign-in request: a link secret and a 6-digit code, both single use, both short-lived.
CREATE TABLE signin_tokens (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,                 -- normalised; the member may not exist yet (sign-up)
  link_hash TEXT NOT NULL UNIQUE,      -- SHA-256 of the link secret
  code_hash TEXT NOT NULL,             -- HMAC-SHA-256 of the code, keyed with the server secret
  attempts INTEGER NOT NULL DEFAULT 0, -- code tries; 5 wrong ones lock it
  next TEXT NOT NULL DEFAULT '/',      -- a same-site path to land on
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX signin_tokens_email ON signin_tokens (email, created_at);

-- A signed-in browser. The cookie holds the secret; this table holds its hash.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,                 -- the short-lived token's `sid`
  secret_hash TEXT NOT NULL UNIQUE,    -- SHA-256 of the renewal secret
  member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  renewed_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX sessions_member ON sessions (member_id);

-- What a member owns apart from their level: one-off purchases, gifts.
CREATE TABLE entitlements (
  member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  product TEXT NOT NULL,
  source TEXT NOT NULL,                -- admin | stripe | import
  granted_at INTEGER NOT NULL,
  until INTEGER,                       -- NULL = for good
  PRIMARY KEY (member_id, product)
);

-- Webhook events already applied (Stripe's `evt_…` ids), so a retry changes nothing.
CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  member_id TEXT,
  created INTEGER NOT NULL,            -- the event's own time
  received_at INTEGER NOT NULL
);

-- Fixed-window counters with growing lockouts. Keys are hashes (no raw IPs or addresses).
CREATE TABLE rate_limits (
  key TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL,
  strikes INTEGER NOT NULL DEFAULT 0,  -- lockouts so far; each one doubles the next
  locked_until INTEGER NOT NULL DEFAULT 0
);

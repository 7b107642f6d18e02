-- API keys for services/api. A key reads `cw_<id>_<secret>`: `id` is the public lookup part,
-- only a SHA-256 of the 256-bit random secret is stored (the key itself is shown once, at creation).
-- Keys belong to the churnwatch operator, not to a customer, so the table is keyed by key id.
CREATE TABLE api_keys (
  id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{12}$'),
  name         text NOT NULL DEFAULT '',
  -- hex SHA-256 of the secret part of the key.
  hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'events:write', 'admin']),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

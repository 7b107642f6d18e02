-- Webhook endpoints, the transactional outbox of messages to push to them, and the delivery log.
-- Endpoints belong to the churnwatch operator (not to a customer), so these tables are keyed by
-- endpoint/message; customer_id on the outbox is informational (null for endpoint_disabled).

CREATE TABLE webhook_endpoints (
  -- No dots or newlines: message ids are derived from (caller event id, endpoint id).
  id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
  url             text NOT NULL CHECK (url ~ '^https?://'),
  -- whsec_<base64>; needed in clear to sign. Never returned by list/get.
  secret          text NOT NULL,
  -- Alert kinds (risk_high, payment_failed, ...), 'endpoint_disabled', or '*' for every kind.
  event_kinds     text[] NOT NULL CHECK (cardinality(event_kinds) > 0),
  description     text NOT NULL DEFAULT '',
  enabled         boolean NOT NULL DEFAULT true,
  disabled_reason text,
  -- First failed attempt since the last success; null while healthy.
  failing_since   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- status: pending (never tried, or redelivered), failed (last attempt failed, retry scheduled),
-- delivered, dead (given up: too old, or its endpoint was disabled).
CREATE TABLE webhook_outbox (
  -- The Standard Webhooks `webhook-id`: identical on every retry and redelivery.
  message_id      text PRIMARY KEY,
  endpoint_id     text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  customer_id     text,
  created_at      timestamptz NOT NULL,
  -- When due; while a worker holds the message, the end of its lease.
  next_attempt_at timestamptz NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
  delivered_at    timestamptz,
  last_error      text,
  -- A manual redelivery restarts the retry window from here.
  redelivered_at  timestamptz
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_outbox_by_endpoint ON webhook_outbox (endpoint_id, created_at DESC);

CREATE TABLE webhook_deliveries (
  id           bigserial PRIMARY KEY,
  message_id   text NOT NULL REFERENCES webhook_outbox (message_id) ON DELETE CASCADE,
  endpoint_id  text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  attempted_at timestamptz NOT NULL,
  -- Null when no HTTP response came back (timeout, refused connection, DNS).
  status_code  integer,
  latency_ms   integer NOT NULL,
  ok           boolean NOT NULL,
  error        text
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_by_message ON webhook_deliveries (message_id, id);

-- Every accepted contract event, as received (unknown extra fields included).
-- customer_id leads every key so the table can be distributed by customer (e.g. Citus).
-- The primary key makes a repeated eventId a no-op.
CREATE TABLE events (
  customer_id text NOT NULL,
  event_id    text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('usage', 'billing')),
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  payload     jsonb NOT NULL,
  PRIMARY KEY (customer_id, event_id)
);

CREATE INDEX events_customer_occurred ON events (customer_id, occurred_at);

-- Account (CRM) events and contract terms (issue 12; ADR 0002). customer_id leads every key.

-- Raw events now include account events. NOT VALID: every existing row met the narrower check,
-- so the table is not scanned again.
ALTER TABLE events DROP CONSTRAINT events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind IN ('usage', 'billing', 'account')) NOT VALID;

-- The contract terms a billing event sent, in the features package's stored form (instants in
-- epoch ms); NULL when it sent none, which is most events.
ALTER TABLE billing_events ADD COLUMN terms jsonb;

-- Account events, to apply "the latest values at or before T" for any T (training and scoring).
-- fields holds only what the event sent: an absent field keeps the earlier value, null clears it.
CREATE TABLE account_events (
  customer_id text        NOT NULL,
  occurred_at timestamptz NOT NULL,
  event_id    text        NOT NULL,
  fields      jsonb       NOT NULL,
  PRIMARY KEY (customer_id, occurred_at, event_id)
);

-- Issue 13 (ADR 0014): the API keeps every customer's metric history in memory and re-reads only
-- the customers whose billing or account events changed. Each new row records the id of the
-- transaction that wrote it; a reader that remembers the snapshot of its last read finds exactly
-- the rows committed since (pg_visible_in_snapshot), whatever the commit order.
-- Rows written before this migration keep NULL: they are older than any snapshot a reader holds.
-- The default is set after the column is added, so that adding it does not rewrite the tables.
ALTER TABLE billing_events ADD COLUMN tx xid8;
ALTER TABLE billing_events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
CREATE INDEX billing_events_tx ON billing_events (tx);

ALTER TABLE account_events ADD COLUMN tx xid8;
ALTER TABLE account_events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
CREATE INDEX account_events_tx ON account_events (tx);

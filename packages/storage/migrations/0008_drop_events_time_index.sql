-- Nothing reads raw events by time: features come from the folded tables, and a customer's
-- events in time order (audit, replays) are found by the primary key's customer_id prefix and
-- sorted. The second index cost one more random B-tree insert per event on the ingest path.
DROP INDEX IF EXISTS events_customer_occurred;

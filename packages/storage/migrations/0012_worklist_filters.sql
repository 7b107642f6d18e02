-- Filters, owners, routing and snoozes (issue 13, ADR 0015). customer_id leads every key.

-- What the scorer knew about the customer when it scored (as of the score's asOf, the same
-- point-in-time rule as the features): segment and owner from account events, the next renewal
-- from the contract terms. The ranked list filters on them without reading any event table.
ALTER TABLE risk_scores ADD COLUMN segment text, ADD COLUMN owner_id text, ADD COLUMN renewal_at timestamptz;
-- A filter on one value walks the ranking inside that value instead of the whole ranking: a page
-- reads about `limit` rows however few customers the value has. One index per filter and sort
-- (the ranked list offers both); the scorer's upserts pay one index entry more per index.
CREATE INDEX risk_scores_by_segment ON risk_scores (segment, revenue_at_risk DESC, customer_id);
CREATE INDEX risk_scores_by_plan ON risk_scores (plan, revenue_at_risk DESC, customer_id);
CREATE INDEX risk_scores_by_owner ON risk_scores (owner_id, revenue_at_risk DESC, customer_id);
CREATE INDEX risk_scores_by_segment_probability ON risk_scores (segment, probability DESC, customer_id);
CREATE INDEX risk_scores_by_plan_probability ON risk_scores (plan, probability DESC, customer_id);
CREATE INDEX risk_scores_by_owner_probability ON risk_scores (owner_id, probability DESC, customer_id);
CREATE INDEX risk_scores_by_renewal ON risk_scores (renewal_at) WHERE renewal_at IS NOT NULL;

-- Alerts carry the owner and segment of their customer (the current ones while the alert is live).
-- A snooze hides a live alert from the default list until snoozed_until, unless the customer's risk
-- rises past what it was when snoozed (snooze_probability, snooze_band): the scorer then clears it.
ALTER TABLE alerts
  ADD COLUMN owner_id text,
  ADD COLUMN segment text,
  ADD COLUMN snoozed_until timestamptz,
  ADD COLUMN snoozed_at timestamptz,
  ADD COLUMN snooze_probability double precision,
  ADD COLUMN snooze_band text,
  ADD COLUMN snooze_note text;
CREATE INDEX alerts_by_owner ON alerts (owner_id, created_at DESC, alert_id);
CREATE INDEX alerts_by_customer_created ON alerts (customer_id, created_at DESC, alert_id);

-- Routing: an endpoint may narrow its alert kinds to some owners, some segments and a minimum
-- revenue at risk. NULL means "no filter"; an empty array is refused (it would match nobody).
ALTER TABLE webhook_endpoints
  ADD COLUMN owner_ids text[] CHECK (owner_ids IS NULL OR cardinality(owner_ids) > 0),
  ADD COLUMN segments text[] CHECK (segments IS NULL OR cardinality(segments) > 0),
  ADD COLUMN min_revenue_at_risk bigint CHECK (min_revenue_at_risk IS NULL OR min_revenue_at_risk >= 0);

-- The alerts:write scope: acknowledge, resolve and snooze alerts without admin.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
  CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'events:write', 'alerts:write', 'admin']);

-- Issue 13 (ADR 0016): what changed since the previous material score, and kind-specific alert details.

-- The drivers and asOf of the last material (published) score, beside its probability and band,
-- so the next material score can name what changed; `changes` is that diff as of the last
-- material change (null before this migration's first material change of the customer).
ALTER TABLE risk_scores
  ADD COLUMN published_drivers jsonb,
  ADD COLUMN published_as_of   timestamptz,
  ADD COLUMN changes           jsonb;
ALTER TABLE risk_score_history ADD COLUMN changes jsonb;

-- The last material score is the newest history row of the customer.
UPDATE risk_scores s SET published_drivers = h.drivers, published_as_of = h.as_of
FROM (SELECT DISTINCT ON (customer_id) customer_id, drivers, as_of
      FROM risk_score_history ORDER BY customer_id, as_of DESC, scored_at DESC) h
WHERE h.customer_id = s.customer_id;

-- renewal_at_risk: renewalAt and mrrAtStake; cancel_requested: reason and reasonCategory;
-- churn_rate_spike: scope. Null for kinds without details.
ALTER TABLE alerts ADD COLUMN details jsonb;
-- The churn-rate check locks every live operator alert of its kind.
CREATE INDEX alerts_live_by_kind ON alerts (kind) WHERE status <> 'resolved';

-- Current score per customer (what the API serves) and every score in a history.
CREATE SEQUENCE risk_score_seq;
CREATE TABLE risk_scores (
  customer_id     text PRIMARY KEY,
  probability     double precision NOT NULL,
  band            text NOT NULL,
  drivers         jsonb NOT NULL,
  features        jsonb NOT NULL,
  plan            text,
  mrr             bigint NOT NULL,
  revenue_at_risk bigint NOT NULL,
  model_version   text NOT NULL,
  as_of           timestamptz NOT NULL,
  scored_at       timestamptz NOT NULL,
  -- The last score published (a material change); small drifts are measured against it.
  published_probability double precision NOT NULL,
  published_band  text NOT NULL,
  -- Increases on every material change: `updatedSince` filters and change feeds use it.
  change_seq      bigint NOT NULL
);
CREATE INDEX risk_scores_by_probability ON risk_scores (probability DESC, customer_id);
CREATE INDEX risk_scores_by_revenue ON risk_scores (revenue_at_risk DESC, customer_id);
CREATE INDEX risk_scores_by_change ON risk_scores (change_seq);

CREATE TABLE risk_score_history (
  customer_id   text NOT NULL,
  scored_at     timestamptz NOT NULL,
  as_of         timestamptz NOT NULL,
  probability   double precision NOT NULL,
  band          text NOT NULL,
  drivers       jsonb NOT NULL,
  model_version text NOT NULL,
  PRIMARY KEY (customer_id, as_of, model_version)
);

-- Alerts: one open (or acknowledged) alert per customer and kind; ids are stable.
CREATE TABLE alerts (
  customer_id     text NOT NULL,
  alert_id        text NOT NULL,
  kind            text NOT NULL,
  status          text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  probability     double precision NOT NULL,
  revenue_at_risk bigint NOT NULL,
  drivers         jsonb NOT NULL,
  play            text NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  acknowledged_at timestamptz,
  resolved_at     timestamptz,
  resolution      text,
  PRIMARY KEY (customer_id, alert_id)
);
-- Lookup by id for the API; not unique on its own so that the table stays distributable by customer.
CREATE INDEX alerts_id ON alerts (alert_id);
CREATE UNIQUE INDEX alerts_one_live_per_kind ON alerts (customer_id, kind) WHERE status <> 'resolved';
CREATE INDEX alerts_by_created ON alerts (created_at DESC, alert_id);

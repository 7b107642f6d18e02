-- Per-customer engagement state folded from events by the feature builder.
-- customer_id leads every key so the store can be distributed by customer.

-- Daily usage buckets per action (UTC day of event time).
CREATE TABLE daily_activity (
  customer_id text   NOT NULL,
  day         date   NOT NULL,
  action      text   NOT NULL,
  event_count bigint NOT NULL,
  quantity    double precision NOT NULL,
  PRIMARY KEY (customer_id, day, action)
);

-- Distinct users per customer and day; windows count distinct user_id over days.
CREATE TABLE daily_users (
  customer_id text   NOT NULL,
  day         date   NOT NULL,
  user_id     text   NOT NULL,
  event_count bigint NOT NULL,
  PRIMARY KEY (customer_id, day, user_id)
);

-- Billing history: enough to fold the subscription state as of any instant.
CREATE TABLE billing_events (
  customer_id text        NOT NULL,
  occurred_at timestamptz NOT NULL,
  event_id    text        NOT NULL,
  type        text        NOT NULL,
  mrr         bigint,
  amount      bigint,
  currency    text,
  plan        text,
  reason      text,
  voluntary   boolean,
  PRIMARY KEY (customer_id, occurred_at, event_id)
);

-- The latest known state per customer (all events so far), for listing and sweeping.
CREATE TABLE customers (
  customer_id      text PRIMARY KEY,
  first_seen_at    timestamptz NOT NULL,
  last_seen_at     timestamptz NOT NULL,
  last_activity_at timestamptz,
  status           text NOT NULL,
  plan             text,
  mrr              bigint NOT NULL DEFAULT 0,
  started_at       timestamptz,
  ended_at         timestamptz,
  usage_events     bigint NOT NULL DEFAULT 0,
  billing_events   bigint NOT NULL DEFAULT 0,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_status ON customers (status);

-- Consumer positions, written in the same transaction as the state they produced:
-- next_offset is the first offset not yet folded.
CREATE TABLE consumer_offsets (
  group_id    text    NOT NULL,
  topic       text    NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint  NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

-- Messages for Kafka written in the same transaction as the state they describe (the scorer's
-- alert changes) and relayed after the commit: readers of the topic never see an alert the
-- database does not hold, and a crash after the commit delays the message instead of losing it.
CREATE TABLE kafka_outbox (
  id         bigserial PRIMARY KEY,
  topic      text  NOT NULL,
  key        text,
  value      jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

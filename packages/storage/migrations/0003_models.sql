-- Versioned model registry: the serialised model with its metadata; at most one active version.
CREATE TABLE models (
  version        text PRIMARY KEY,
  kind           text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  trained_as_of  timestamptz NOT NULL,
  feature_names  text[] NOT NULL,
  training       jsonb NOT NULL,
  metrics        jsonb NOT NULL,
  artifact       bytea NOT NULL,
  active         boolean NOT NULL DEFAULT false,
  activated_at   timestamptz
);
CREATE UNIQUE INDEX models_one_active ON models (active) WHERE active;

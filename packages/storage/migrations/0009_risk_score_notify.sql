-- Every committed write to risk_scores names the customers it touched on the channel
-- churnwatch_risk_scores: the payload is a JSON array of customer ids, under 8,000 bytes (NOTIFY's
-- limit), so one statement may send several. Listeners (the API's risk-document cache) evict those
-- customers. NOTIFY is delivered at commit, never for a rolled-back write. Statement-level
-- triggers with transition tables: a sweep's chunked upserts cost a few notifications per chunk,
-- not a trigger call per row.
CREATE FUNCTION notify_risk_score_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload text;
BEGIN
  -- Ids grouped by their running JSON length (id and ", "): each group stays under 6,000 bytes plus one id
  -- (at most 128 characters, 6 bytes each when escaped), inside the limit.
  FOR payload IN
    SELECT json_agg(customer_id)::text
    FROM (SELECT customer_id,
                 sum(octet_length(to_json(customer_id)::text) + 2) OVER (ORDER BY customer_id ROWS UNBOUNDED PRECEDING) AS upto
          FROM changed) ids
    GROUP BY upto / 6000
  LOOP
    PERFORM pg_notify('churnwatch_risk_scores', payload);
  END LOOP;
  RETURN NULL;
END
$$;

-- A transition table belongs to one event, hence one trigger per event (an upsert fires both
-- the insert and the update trigger, each with its own rows).
CREATE TRIGGER risk_scores_inserted AFTER INSERT ON risk_scores
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_risk_score_changes();
CREATE TRIGGER risk_scores_updated AFTER UPDATE ON risk_scores
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_risk_score_changes();
CREATE TRIGGER risk_scores_deleted AFTER DELETE ON risk_scores
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_risk_score_changes();

-- TRUNCATE fires no delete triggers: listeners hear "cleared" and forget every customer.
CREATE FUNCTION notify_risk_scores_cleared() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('churnwatch_risk_scores', 'cleared');
  RETURN NULL;
END
$$;
CREATE TRIGGER risk_scores_truncated AFTER TRUNCATE ON risk_scores
  FOR EACH STATEMENT EXECUTE FUNCTION notify_risk_scores_cleared();

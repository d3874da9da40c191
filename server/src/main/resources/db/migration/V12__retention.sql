-- Retention (issue 16): the indexes the pruning pass finds its candidates with, and the one path
-- by which audit rows may be deleted.
--
-- Plain CREATE INDEX (in Flyway's transaction): it blocks writes to runs while it builds, which is
-- a few seconds per million runs at upgrade time; CONCURRENTLY would need a migration outside a
-- transaction for a one-off cost.

-- Finished runs of a project, oldest first. The statuses are RunStatus's terminal ones: dead_letter
-- is not among them (it can still be replayed), so retention never takes a dead letter.
CREATE INDEX runs_retention ON runs (project_id, finished_at)
    WHERE status IN ('completed', 'failed', 'timed_out', 'crashed', 'system_failed', 'canceled', 'expired');

-- Finished workflow runs of a project, oldest first.
CREATE INDEX workflow_runs_retention ON workflow_runs (project_id, finished_at) WHERE finished_at IS NOT NULL;

-- The audit log stays append-only, except that a row the chain's signed head no longer covers
-- (chain_seq below the head's first_seq) may be deleted. Audit retention first moves the head's
-- start anchor past the rows it prunes and re-signs it, then deletes them, in one transaction. A
-- row the head still covers cannot be deleted by anyone going through SQL; moving first_seq by
-- hand breaks the head's signature, which verify reports (head_changed).
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
       AND (NEW.seq, NEW.id, NEW.ts, NEW.actor_type, NEW.actor_id, NEW.project_id, NEW.action, NEW.target_type,
            NEW.target_id, NEW.details)
           IS NOT DISTINCT FROM
           (OLD.seq, OLD.id, OLD.ts, OLD.actor_type, OLD.actor_id, OLD.project_id, OLD.action, OLD.target_type,
            OLD.target_id, OLD.details) THEN
      RETURN NEW;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF OLD.chain_seq IS NOT NULL AND OLD.chain_seq < (
         SELECT h.first_seq FROM audit_heads h
          WHERE h.project_id = coalesce(OLD.project_id, '00000000-0000-0000-0000-000000000000'::uuid)) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- The audit chain becomes one chain per project, anchored at both ends by a signed head row
-- (docs/decisions.md, "Audit chains per project, anchored by a signed head").
--
-- Each row gets its place in its project's chain (chain_seq 1, 2, ...; account events, whose
-- project_id is null, form one more chain). Rows written before this version have no place yet
-- (chain_seq null): the server re-chains them per project when it starts (AuditRechain), since the
-- HMAC key lives in the server, not in SQL. From now on every new row must have its place, so a
-- node still on the previous version cannot append to the old global chain behind the new ones.
ALTER TABLE audit_log ADD COLUMN chain_seq bigint;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chained CHECK (chain_seq IS NOT NULL) NOT VALID;
-- One row per place: two appends can never fork a chain. The nil uuid stands for the account chain.
CREATE UNIQUE INDEX audit_log_chain
    ON audit_log ((coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid)), chain_seq);
-- The rows still to re-chain, in their old order; empty once the server has re-chained them, so the
-- check at every start reads nothing.
CREATE INDEX audit_log_unchained ON audit_log (seq) WHERE chain_seq IS NULL;

-- The head of each chain: appends lock this row (FOR UPDATE), so only appends to the same project
-- wait for each other. first_seq/first_prev anchor the start (audit retention moves them when it
-- prunes), last_seq/last_hmac the end; signature is an HMAC of all of them under a key derived from
-- the master key, so removing the newest rows, or rewinding the head, is found by verify.
CREATE TABLE audit_heads (
    project_id  uuid PRIMARY KEY,          -- the nil uuid: the account chain (rows with project_id null)
    first_seq   bigint NOT NULL,           -- chain_seq of the oldest row kept
    first_prev  text,                      -- the prev_row_hmac that row carries (null at the true start)
    last_seq    bigint NOT NULL,           -- chain_seq of the newest row (first_seq - 1 when empty)
    last_hmac   text,                      -- its row_hmac
    signature   text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Still append-only, with one exception: a row written before this version may be given its place
-- in its project's chain once (chain_seq from null to a value, the row's own fields unchanged).
-- The CHECK above keeps new rows from ever having a null chain_seq, so the exception closes itself.
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
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

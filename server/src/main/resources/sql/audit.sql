-- The tamper-evident audit log: one chain per project (and one for account rows without a
-- project, keyed by the zero uuid), each with its signed head in audit_heads.
-- A row is read as seq, chain_seq, id, ts, actor_type, actor_id, project_id, action, target_type,
-- target_id, details::text, prev_row_hmac, row_hmac (AuditStore.map reads by position).
-- AUDIT_FILTERS is replaced by AuditStore with the filters asked for (AND ... with named
-- parameters), or nothing.

-- name: normalize_details
-- After the head's lock: the time and the normalized details text are those the row will hold.
SELECT :details::jsonb::text, clock_timestamp()

-- name: insert_audit_row
INSERT INTO audit_log (id, ts, actor_type, actor_id, project_id, action, target_type, target_id,
                       details, prev_row_hmac, row_hmac, chain_seq)
VALUES (:id, :ts, :actor_type, :actor_id, :project_id, :action, :target_type, :target_id,
        :details::jsonb, :prev_row_hmac, :row_hmac, :chain_seq)

-- name: newest_chain_row
-- A chain with rows but no head lost it to someone outside Drover: it goes on from its newest row.
SELECT chain_seq, row_hmac FROM audit_log
WHERE coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = :chain
  AND chain_seq IS NOT NULL
ORDER BY chain_seq DESC LIMIT 1

-- name: insert_audit_head
INSERT INTO audit_heads (project_id, first_seq, first_prev, last_seq, last_hmac, signature)
VALUES (:chain, :first_seq, :first_prev, :last_seq, :last_hmac, :signature) ON CONFLICT (project_id) DO NOTHING

-- name: audit_head
SELECT first_seq, first_prev, last_seq, last_hmac, signature FROM audit_heads WHERE project_id = :chain

-- name: audit_head_for_update
-- The append's lock: appends to one chain are serialized across threads and nodes, appends to
-- different chains never wait for each other.
SELECT first_seq, first_prev, last_seq, last_hmac, signature FROM audit_heads WHERE project_id = :chain FOR UPDATE

-- name: save_audit_head
INSERT INTO audit_heads (project_id, first_seq, first_prev, last_seq, last_hmac, signature)
VALUES (:chain, :first_seq, :first_prev, :last_seq, :last_hmac, :signature)
ON CONFLICT (project_id) DO UPDATE SET first_seq = excluded.first_seq,
    first_prev = excluded.first_prev, last_seq = excluded.last_seq, last_hmac = excluded.last_hmac,
    signature = excluded.signature, updated_at = now()

-- name: list_audit
-- Newest first. A project's rows, and the account rows (logins, resets) of users who are its members.
SELECT seq, chain_seq, id, ts, actor_type, actor_id, project_id, action, target_type, target_id, details::text,
       prev_row_hmac, row_hmac
FROM audit_log WHERE (project_id = :project_id OR
    (project_id IS NULL AND target_type = 'user' AND target_id IN
        (SELECT user_id::text FROM memberships WHERE project_id = :project_id)))
    AUDIT_FILTERS
ORDER BY seq DESC LIMIT :limit

-- name: export_audit
-- Oldest first, the same rows as list_audit.
SELECT seq, chain_seq, id, ts, actor_type, actor_id, project_id, action, target_type, target_id, details::text,
       prev_row_hmac, row_hmac
FROM audit_log WHERE (project_id = :project_id OR
    (project_id IS NULL AND target_type = 'user' AND target_id IN
        (SELECT user_id::text FROM memberships WHERE project_id = :project_id)))
    AUDIT_FILTERS
ORDER BY seq

-- name: verify_snapshot
-- One snapshot for head and rows, so appends committing meanwhile are not mistaken for a break.
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY

-- name: chain_rows
SELECT seq, chain_seq, id, ts, actor_type, actor_id, project_id, action, target_type, target_id, details::text,
       prev_row_hmac, row_hmac
FROM audit_log
WHERE coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = :chain
ORDER BY chain_seq NULLS LAST

-- name: rechain_lock
-- The lock of the old global chain (V7 and before), now only taken to re-chain its rows once.
SELECT pg_advisory_xact_lock(:key)

-- name: any_unchained
SELECT EXISTS (SELECT 1 FROM audit_log WHERE chain_seq IS NULL)

-- name: unchained_rows
SELECT seq, id, ts, actor_type, actor_id, project_id, action, target_type, target_id, details::text,
       prev_row_hmac, row_hmac
FROM audit_log WHERE chain_seq IS NULL ORDER BY seq

-- name: place_row
UPDATE audit_log SET chain_seq = :chain_seq, prev_row_hmac = :prev_row_hmac, row_hmac = :row_hmac WHERE id = :id

-- name: prune_candidates
-- Retention (AuditPrune): the oldest rows of one chain that its signed head still covers, in chain
-- order; the prune checks each as verify does and stops at the first row inside the window.
SELECT seq, chain_seq, id, ts, actor_type, actor_id, project_id, action, target_type, target_id,
       details::text, prev_row_hmac, row_hmac
  FROM audit_log
 WHERE coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = :chain
   AND chain_seq >= :first_seq AND chain_seq <= :last_seq
 ORDER BY chain_seq
 LIMIT :batch

-- name: prune_rows
-- Retention (AuditPrune): the rows the moved start anchor no longer covers (the V12 trigger refuses
-- any other delete).
DELETE FROM audit_log
 WHERE coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid) = :chain
   AND chain_seq >= :first_seq AND chain_seq <= :last_seq

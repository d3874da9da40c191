-- run_list (V6) gets the runs made before V6's trigger existed, then runs loses its two list indexes.
--
-- A separate transaction from V6, so that the copy (long on a big installation) holds no lock that
-- stops runs being made, claimed or completed: reading runs takes ACCESS SHARE only. Every run is
-- listed exactly once: a run committed before V6's commit is in this statement's snapshot and has no
-- entry yet; a run made after it got its entry from the trigger in its own transaction, so it is
-- either visible here with its entry (NOT EXISTS skips it) or not visible at all.
INSERT INTO run_list (id, project_id, job_id)
SELECT r.id, r.project_id, r.job_id
FROM runs r
WHERE NOT EXISTS (SELECT 1 FROM run_list l WHERE l.project_id = r.project_id AND l.id = r.id);

-- Last, so that the ACCESS EXCLUSIVE lock they take on runs is held only until the commit just after.
DROP INDEX runs_project_list;
DROP INDEX runs_job_list;

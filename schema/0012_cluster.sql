-- Several serve processes on one database (issue 17 items 2 and 4).
-- servers.draining: the node was asked to drain (POST /api/v1/drain): it claims no new jobs and
-- lets its running ones finish; a restart undoes it (the new process registers a new row).
-- servers.owner: the lease owner id of the node's worker pool (engine/lease_owner.h), the value
-- it writes into jobs.lease_owner, so `cluster status` can count each node's running jobs.
ALTER TABLE servers ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;
ALTER TABLE servers ADD COLUMN owner TEXT;
-- The leader lease: one row per lease name ('maintenance': the lease reaper and the retention
-- pruner run on its holder only). `token` is the fencing token: it grows on every takeover,
-- never on a renewal, so a leader that lost the lease can tell (its token is no longer the
-- row's). Times are real UTC milliseconds, as in servers.
CREATE TABLE leader_lease (
  name        TEXT    PRIMARY KEY,
  holder      TEXT    NOT NULL,  -- the holder's lease owner id (servers.owner)
  token       INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,  -- when this holder took it (token last grew)
  expires_at  INTEGER NOT NULL
);

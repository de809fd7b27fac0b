-- Running `serve` processes, so the CLI talks to a live server instead of the database
-- (README, "Which path a command takes"). A serve inserts its row when its API listens,
-- refreshes `heartbeat` every few seconds and deletes the row when it stops cleanly; a row
-- whose heartbeat is stale belongs to a server that died and is ignored (and pruned).
-- Times are integer milliseconds since the Unix epoch, UTC (real time, never a test clock).
CREATE TABLE servers (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  address    TEXT    NOT NULL,  -- base URL the CLI uses, e.g. http://127.0.0.1:8080
  pid        INTEGER NOT NULL,
  host       TEXT    NOT NULL,  -- gethostname() of the server
  version    TEXT    NOT NULL,  -- hypersdk version of the server
  started_at INTEGER NOT NULL,
  heartbeat  INTEGER NOT NULL
);
CREATE INDEX servers_heartbeat ON servers (heartbeat);

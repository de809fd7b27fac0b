-- Notifications (DESIGN §8): the outbox. The notifier routes each event (events.dispatched_at
-- set) and, in that same transaction, writes one delivery per receiver the routes name; the
-- dispatcher sends pending deliveries, recording every attempt. A delivery is the unit of
-- at-least-once: it stays pending across crashes until an attempt succeeds or it fails for good.
CREATE TABLE deliveries (
  id              INTEGER PRIMARY KEY,
  event_id        INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  receiver        TEXT    NOT NULL,
  event_kind      TEXT    NOT NULL,
  status          TEXT    NOT NULL,          -- pending | delivered | failed
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  finished_at     INTEGER,
  last_error      TEXT,
  UNIQUE (event_id, receiver)
);
CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_status ON deliveries (status, id);

CREATE TABLE delivery_attempts (
  delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  http_status INTEGER,                       -- NULL when no answer came (refused, timeout)
  latency_ms  INTEGER NOT NULL,
  error       TEXT,
  PRIMARY KEY (delivery_id, attempt)
);

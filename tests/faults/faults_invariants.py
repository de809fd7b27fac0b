"""What the fault suite promises, checked on the database after the last serve stopped, against
the ledger of what the driver was told (accepted job ids, cancels asked for, workflows, every
CLI answer) and the receiver's log. Each check returns violations as sentences."""
import hashlib
import json
import sqlite3
import threading
from pathlib import Path

BUSY_WORDS = ("database is locked", "sqlite_busy", "database is busy")
UNFINISHED = ("queued", "running", "retrying", "waiting")


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = []
        self.exports = []
        self.cancel_requested = set()
        self.workflows = []
        self.notes = []
        self.violations = []
        self.cli_calls = 0

    def accept(self, job_id, export=False):
        with self.lock:
            self.accepted.append(job_id)
            if export:
                self.exports.append(job_id)

    def cancellable(self):
        with self.lock:
            return self.accepted[-20:]

    def note(self, text):
        with self.lock:
            self.notes.append(text)

    def violation(self, text):
        with self.lock:
            self.violations.append(text)

    def cli_result(self, what, r):
        """Every CLI answer: none may tell the user the database was busy or locked."""
        with self.lock:
            self.cli_calls += 1
        text = (r.stdout + r.stderr).lower()
        if any(w in text for w in BUSY_WORDS):
            self.violation(f"`{what}` showed the user a busy database: {r.stderr.strip()[:200]}")

    def unfinished(self, db):
        with connect(db) as c:
            jobs = c.execute("SELECT count(*) FROM jobs WHERE status IN (?,?,?,?)",
                             UNFINISHED).fetchone()[0]
            wfs = c.execute("SELECT count(*) FROM workflows WHERE status = 'running'").fetchone()[0]
            dl = c.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'").fetchone()[0]
            ev = c.execute("SELECT count(*) FROM events WHERE dispatched_at IS NULL").fetchone()[0]
        return {k: v for k, v in (("jobs", jobs), ("workflows", wfs), ("deliveries", dl),
                                  ("events", ev)) if v}


def connect(db):
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def job_num(job_id):
    return int(str(job_id).removeprefix("j-"))


def check_jobs(c, ledger):
    out = []
    rows = {r[0]: r[1:] for r in c.execute("SELECT id, status, error_class, type FROM jobs")}
    lease_expired = {}
    for j in set(ledger.accepted):
        row = rows.get(job_num(j))
        if row is None:
            out.append(f"accepted job {j} is lost")
            continue
        status, cls, kind = row
        if status == "cancelled" and j not in ledger.cancel_requested:
            out.append(f"job {j} cancelled though nobody asked")
        elif status == "failed" and cls == "lease_expired":
            lease_expired[kind] = lease_expired.get(kind, 0) + 1  # a poison pill by design: its lease died with serve K times
        elif status not in ("succeeded", "cancelled"):
            out.append(f"accepted job {j} ended {status} ({cls})")
    stuck = [f"{i}:{s[0]}" for i, s in rows.items() if s[0] in UNFINISHED]
    if stuck:
        out.append(f"{len(stuck)} jobs unfinished after recovery: {stuck[:10]}")
    return out, {"jobs accepted": len(set(ledger.accepted)), "jobs in database": len(rows),
                 "cancels asked": len(ledger.cancel_requested),
                 "dead-lettered as lease_expired": lease_expired}


def check_completions(c):
    """No job, workflow steps included, succeeded twice: one job.completed event at most."""
    dup = c.execute("SELECT subject, count(*) FROM events WHERE kind = 'job.completed'"
                    " GROUP BY subject HAVING count(*) > 1").fetchall()
    bad = c.execute("SELECT count(*) FROM events e JOIN jobs j ON e.subject = 'j-' || j.id"
                    " WHERE e.kind = 'job.completed' AND j.status != 'succeeded'").fetchone()[0]
    out = [f"job {s} completed {n} times" for s, n in dup]
    if bad:
        out.append(f"{bad} job.completed events for jobs that are not succeeded")
    return out


def check_schedules(c):
    out = []
    fired = c.execute("SELECT count(*) FROM schedule_occurrences WHERE job_id IS NOT NULL"
                      ).fetchone()[0]
    outcomes = dict(c.execute("SELECT outcome, count(*) FROM schedule_occurrences GROUP BY outcome"))
    # Each scheduled job belongs to exactly one occurrence (UNIQUE(schedule, nominal time)
    # holds the rows; this catches a second job for one occurrence).
    orphans = c.execute("SELECT count(*) FROM jobs j WHERE j.schedule_id IS NOT NULL AND NOT EXISTS"
                        " (SELECT 1 FROM schedule_occurrences o WHERE o.job_id = j.id)").fetchone()[0]
    twice = c.execute("SELECT job_id, count(*) FROM schedule_occurrences WHERE job_id IS NOT NULL"
                      " GROUP BY job_id HAVING count(*) > 1").fetchall()
    if orphans:
        out.append(f"{orphans} scheduled jobs without an occurrence (an occurrence fired twice)")
    out += [f"job {j} runs {n} occurrences" for j, n in twice]
    if fired == 0:
        out.append("no schedule occurrence fired: the schedules were not exercised")
    return out, {"occurrences": outcomes}


def check_workflows(c, ledger):
    """Every accepted workflow ends succeeded, or failed because a step was dead-lettered as a
    poison pill (lease_expired, by design after 3 lost leases: see the note in the report)."""
    out = []
    statuses = dict(c.execute("SELECT 'w-' || id, status FROM workflows"))
    pill = {r[0] for r in c.execute("SELECT DISTINCT 'w-' || workflow_id FROM jobs WHERE"
                                    " workflow_id IS NOT NULL AND error_class = 'lease_expired'"
                                    " AND status = 'failed'")}
    by_pill = 0
    for w in ledger.workflows:
        s = statuses.get(w)
        if s is None:
            out.append(f"accepted workflow {w} is lost")
        elif s == "failed" and w in pill:
            by_pill += 1
        elif s != "succeeded":
            out.append(f"workflow {w} ended {s}")
    return out, {"workflows": len(ledger.workflows),
                 "workflows failed by a lease_expired step": by_pill}


def check_deliveries(c, rx):
    out = []
    by_status = dict(c.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
    if set(by_status) - {"delivered"}:
        out.append(f"deliveries not all delivered: {by_status}")
    got = set(rx.received_ids())
    delivered = [f"evt-{r[0]}" for r in c.execute(
        "SELECT event_id FROM deliveries WHERE receiver = 'hook' AND status = 'delivered'")]
    missing = [e for e in delivered if e not in got]
    if missing:
        out.append(f"{len(missing)} deliveries marked delivered never reached the receiver: {missing[:5]}")
    cuts = rx.cut_list()
    lost = [w for kind, w in cuts if w not in got]
    if lost:
        out.append(f"cut deliveries never retried to the receiver: {lost[:5]}")
    if not cuts:
        out.append("no connection was cut: the cut path was not exercised")
    if not delivered:
        out.append("nothing was delivered: the notifier was not exercised")
    received = rx.received_ids()
    return out, {"deliveries": by_status, "receiver requests in full": len(received),
                 "received more than once": len(received) - len(set(received)),
                 "connections cut": f"{len(cuts)} ({sum(k == 'request' for k, _ in cuts)} mid-request)"}


def check_exports(c, ledger):
    out = []
    ok = 0
    for j in ledger.exports:
        row = c.execute("SELECT status, result FROM jobs WHERE id = ?", (job_num(j),)).fetchone()
        if row is None or row[0] != "succeeded":
            continue  # check_jobs names it
        r = json.loads(row[1])
        p = Path(r["path"])
        if not p.exists():
            out.append(f"export {j}: {p} is missing")
        elif hashlib.sha256(p.read_bytes()).hexdigest() != r["sha256"] or \
                p.stat().st_size != r["size_bytes"]:
            out.append(f"export {j}: {p} does not match its recorded size/sha256")
        else:
            ok += 1
    if ledger.exports and not ok:
        out.append("no export succeeded")
    return out, {"exports verified": f"{ok}/{len(ledger.exports)}"}


def check_all(h, ledger, rx):
    violations = list(ledger.violations)
    stats = {}
    checks = 0
    with connect(h.db) as c:
        integrity = c.execute("PRAGMA integrity_check").fetchall()
        checks += 1
        if integrity != [("ok",)]:
            violations.append(f"integrity_check: {integrity[:5]}")
        for fn in (lambda: check_jobs(c, ledger), lambda: (check_completions(c), {}),
                   lambda: check_schedules(c), lambda: check_workflows(c, ledger),
                   lambda: check_deliveries(c, rx), lambda: check_exports(c, ledger)):
            v, s = fn()
            checks += 1
            violations += v
            stats.update(s)
    r = h.run("db", "check")
    checks += 1
    if r.returncode != 0 or "intact" not in r.stdout:
        violations.append(f"db check: {r.stdout.strip()} {r.stderr.strip()}")
    checks += 1  # every CLI answer (ledger.cli_result)
    stats["cli calls checked for busy errors"] = ledger.cli_calls
    return violations, checks, stats

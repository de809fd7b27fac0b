"""`hypersdk db copy --from FILE.db --to postgres://...` through the real binary (issue 17
item 3): a SQLite database with history made by a real serve (jobs that succeeded with output,
failed into the dead letters, a schedule that fired and missed, a workflow, audit entries) is
copied into a fresh PostgreSQL database, and every copied table holds the same rows on both
sides; ids go on; a second copy, a running serve and bad input are refused with clear messages
and the right exit codes; the password never shows. Runs beside a real PostgreSQL: ctest starts
this file under tests/pg/with_pg.sh (HYPERSDK_TEST_PG_URL)."""
import json
import sqlite3
import subprocess


from conftest import BIN, FakeClock, wait_for
from ops_support import wait_for_scheduler_ticks
from pg_support import pg_db, psql  # noqa: F401 (pg_db: a fixture)

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}




def with_password(url, password="hunter2"):
    # Trust authentication ignores it; the point is that no output ever shows it.
    return url.replace("postgres://postgres@", f"postgres://postgres:{password}@")


def make_history(h, tmp_path):
    """Drives a real serve until the database holds every kind of history, then stops it."""
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    h.env.update(EXEC_ON)
    h.run("schedule", "create", "--name", "hourly", "--cron", "0 * * * *", "--timezone", "UTC",
          "--command", "echo tick", "--catchup", "latest", "--catchup-window", "24h", check=True)
    srv = h.serve(*clock.args(), "--workers", "2")
    wait_for_scheduler_ticks(srv)
    assert srv.stop() == 0
    clock.set("2025-06-01T13:30:00Z")  # 11:00 and 12:00 are missed, 13:00 fires
    srv = h.serve(*clock.args(), "--workers", "2")
    h.submit("--type", "exec", "--", "/bin/sh", "-c", "echo hello; echo caf\u00e9 >&2")
    h.submit("--type", "exec", "--retry-max", "0", "--", "/bin/sh", "-c", "echo doomed; exit 3")
    wf = {"name": "chain", "steps": [
        {"name": "export", "type": "exec", "payload": {"argv": ["echo", "exported"]}},
        {"name": "upload", "type": "exec", "payload": {"argv": ["echo", "uploaded"]},
         "depends_on": ["export"]}]}
    (tmp_path / "wf.json").write_text(json.dumps(wf))
    h.run("workflow", "submit", "--file", str(tmp_path / "wf.json"), check=True)
    h.run("schedule", "run", "--name", "hourly", "--emergency", "--reason", "drill", check=True)

    def settled():
        jobs = h.json("list", "--limit", "1000")
        return len(jobs) >= 6 and all(j["status"] in ("succeeded", "failed") for j in jobs)

    wait_for(settled, timeout=60, interval=0.2, what="every job to finish")
    assert srv.stop() == 0
    return clock


def sqlite_rows(db, table):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        cur = c.execute(f'SELECT * FROM "{table}"')
        cols = [d[0] for d in cur.description]
        return sorted((dict(zip(cols, r)) for r in cur.fetchall()),
                      key=lambda r: json.dumps(r, sort_keys=True))


def pg_rows(url, table, cols):
    sel = ", ".join(f'"{c}"' for c in cols)
    out = psql(url, f'SELECT coalesce(json_agg(r), \'[]\') FROM (SELECT {sel} FROM "{table}") r')
    return sorted(json.loads(out), key=lambda r: json.dumps(r, sort_keys=True))


def copy(h, url, *extra):
    return h.run("db", "copy", "--from", str(h.db), "--to", url, *extra, timeout=300)


def test_copy_keeps_every_row_and_ids_go_on(h, tmp_path, pg_db):
    make_history(h, tmp_path)
    url = with_password(pg_db)
    r = copy(h, url)
    assert r.returncode == 0, r.stderr
    assert "hunter2" not in r.stdout + r.stderr
    assert "postgres:***@" in r.stdout

    with sqlite3.connect(f"file:{h.db}?mode=ro", uri=True) as c:
        tables = [t for (t,) in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        dlq = c.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        fired = c.execute("SELECT count(*) FROM schedule_occurrences WHERE outcome = 'fired'"
                          ).fetchone()[0]
        audit = c.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        max_job = c.execute("SELECT max(id) FROM jobs").fetchone()[0]
    # The history this test is about is really there.
    assert dlq == 1 and fired >= 1 and audit >= 3

    # Progress on stderr, one line per table; the count table on stdout, every table "ok".
    for t in tables:
        if t in ("servers", "leader_lease"):  # live-process rows, not history
            assert f"skipping {t}" in r.stderr
            continue
        assert f"db copy: {t}: " in r.stderr, t
        line = next(l for l in r.stdout.splitlines() if l.split()[:1] == [t])
        n = len(sqlite_rows(h.db, t))
        assert line.split()[1:] == [str(n), str(n), "ok"], line

    # Every copied table holds the same rows, column for column.
    for t in tables:
        if t in ("servers", "leader_lease"):
            continue
        want = sqlite_rows(h.db, t)
        if not want:
            assert psql(pg_db, f'SELECT count(*) FROM "{t}"') == "0", t
            continue
        assert pg_rows(pg_db, t, list(want[0].keys())) == want, t

    # New rows get new ids (the identity sequences moved past the copied ones).
    nxt = psql(pg_db, "SELECT nextval(pg_get_serial_sequence('jobs', 'id'))")
    assert int(nxt) == max_job + 1


def test_a_second_copy_is_refused_and_json_reports_counts(h, tmp_path, pg_db):
    h.submit("--type", "noop")
    h.submit("--type", "noop")
    r = copy(h, pg_db, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["committed"] is True and rep["mismatches"] == []
    assert {"table": "jobs", "sqlite": 2, "postgresql": 2} in rep["tables"]
    again = copy(h, with_password(pg_db))
    assert again.returncode == 4, again.stderr
    assert "already holds data" in again.stderr and "jobs (2 rows)" in again.stderr
    assert "never merges" in again.stderr
    assert "hunter2" not in again.stderr
    assert psql(pg_db, "SELECT count(*) FROM jobs") == "2"


def test_a_running_serve_stops_the_copy(h, pg_db):
    srv = h.serve()
    r = copy(h, pg_db)
    assert r.returncode == 4, r.stderr
    assert "a serve is running on" in r.stderr and "Stop it first" in r.stderr
    assert psql(pg_db, "SELECT count(*) FROM information_schema.tables"
                       " WHERE table_schema = 'public' AND table_name = 'jobs'") == "0"
    assert srv.stop() == 0
    assert copy(h, pg_db).returncode == 0


def test_bad_input_gets_a_clear_message_and_exit_code(h, tmp_path, pg_db):
    missing = h.run("db", "copy", "--from", str(tmp_path / "nope.db"), "--to", pg_db)
    assert missing.returncode == 3 and "no SQLite database at" in missing.stderr
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n" * 1000)
    r = h.run("db", "copy", "--from", str(junk), "--to", pg_db)
    assert r.returncode == 2 and "not a SQLite database" in r.stderr, r.stderr
    r = h.run("db", "copy", "--from", str(h.db), "--to", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "expected a postgres:// or postgresql:// URL" in r.stderr
    r = h.run("db", "copy", "--to", pg_db)
    assert r.returncode == 2 and "--from" in r.stderr
    r = h.run("db", "copy", "--from", str(h.db),
              "--to", "postgres://app:s3cret@127.0.0.1:1/none?connect_timeout=3")
    assert r.returncode == 5, r.stderr
    assert "app:***@127.0.0.1:1" in r.stderr and "s3cret" not in r.stderr
    with sqlite3.connect(h.db) as c:
        c.execute("PRAGMA user_version = 3")
    r = copy(h, pg_db)
    assert r.returncode == 4 and "hypersdk db migrate" in r.stderr, r.stderr


def cli_json(h, db, *args):
    """Runs the CLI straight on one database (--local: no server involved) and parses --json."""
    cmd = [BIN, "--config", str(h.config), "--db", str(db), "--local", *args, "--json"]
    r = subprocess.run(cmd, env=dict(h.env), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{cmd}: {r.stderr}"
    return json.loads(r.stdout)


def test_the_copy_answers_list_schedule_list_and_dlq_list_like_the_original(h, tmp_path, pg_db):
    # Issue 17 done-means: the same answers to `list`, `schedule list` and `dlq list` on both.
    # Compared whole: no field names the database itself, so nothing is removed.
    make_history(h, tmp_path)
    r = copy(h, pg_db)
    assert r.returncode == 0, r.stderr
    for args in (["list", "--limit", "1000"], ["schedule", "list"], ["dlq", "list"]):
        on_sqlite = cli_json(h, h.db, *args)
        assert on_sqlite, args  # the history is really there, so equality means something
        assert cli_json(h, pg_db, *args) == on_sqlite, args

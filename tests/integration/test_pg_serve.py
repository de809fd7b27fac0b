"""serve and the CLI on PostgreSQL (issue 17 item 1): `--db postgres://...` or db.url runs the
whole system on a PostgreSQL database: jobs (noop, exec) to success, retries to the dead-letter
queue, a schedule firing, a workflow, a webhook delivered, the audit trail, /ready and /metrics;
the CLI without a server works on the same database. A database that stops makes /ready 503
with the reason, and serve recovers when it is back. Passwords never reach an error or a log.
Runs beside a real PostgreSQL: ctest starts this file under tests/pg/with_pg.sh
(HYPERSDK_TEST_PG_URL); the stop/start test runs a PostgreSQL server of its own."""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import FakeClock, free_port, wait_for
from notify_receiver import Receiver
from pg_support import PgHypersdk, pg_db, ph, psql, ready  # noqa: F401 (pg_db, ph: fixtures)
from pg_support import run_cli as run

SCHEMA_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "schema", "pg")
EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}





@pytest.fixture
def rx():
    r = Receiver()
    yield r
    r.close()


def webhook_config(url):
    return (
        "retry:\n  base: 1s\n  cap: 1s\n"
        "notifications:\n"
        "  receivers:\n"
        "    hook:\n"
        "      type: webhook\n"
        f"      url: {url}\n"
        "      allow_private: true\n"
        "  routes:\n"
        "    - match: {event: job.completed}\n      receivers: [hook]\n"
        "  retry:\n    base: 100ms\n    cap: 1s\n"
    )


def by_id(jobs):
    return {j["id"]: j for j in jobs}


def test_serve_on_postgres_runs_jobs_workflows_notifications_and_the_cli_sees_them(ph, rx, tmp_path):
    ph.write_config(webhook_config(rx.url + "/hook"))
    ph.env.update(EXEC_ON)
    srv = ph.serve("--workers", "4")
    # Readiness names its checks; all pass on a reachable, migrated, writable database.
    status, _, answer = srv.api("GET", "/api/v1/ready")
    assert status == 200, answer
    # Through the API (audited as "api"); the CLI finds the server registered in PostgreSQL
    # and goes through it ("api" too), or with --local works on the database ("cli").
    status, _, noop = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
    assert status == 201, noop
    found = ph.run("--verbose", "submit", "--type", "exec", "--", "/bin/sh", "-c",
                   "echo hello-from-pg", check=True)
    echo = found.stdout.strip()
    assert f"using the server at {srv.url}" in found.stderr, found.stderr
    doomed = ph.submit("--local", "--type", "exec", "--retry-max", "1", "--", "/bin/sh", "-c",
                       "exit 75")
    wf = tmp_path / "wf.json"
    wf.write_text(json.dumps({"name": "pair", "steps": [
        {"name": "a", "type": "exec", "payload": {"argv": ["/bin/sh", "-c", "echo a"]}},
        {"name": "b", "type": "exec", "payload": {"argv": ["/bin/sh", "-c", "echo b"]},
         "depends_on": ["a"]}]}))
    wid = ph.run("--local", "workflow", "submit", "--file", str(wf), check=True).stdout.strip()
    assert wid.startswith("w-")

    def settled():
        jobs = by_id(ph.json("list", "--limit", "100"))
        return (jobs.get(noop["id"], {}).get("status") == "succeeded"
                and jobs.get(echo, {}).get("status") == "succeeded"
                and jobs.get(doomed, {}).get("status") == "failed" and jobs)

    jobs = wait_for(settled, timeout=60, interval=0.3, what="jobs to settle on PostgreSQL")
    assert jobs[doomed]["attempt"] == 2
    out = ph.run("logs", "--id", echo, check=True).stdout
    assert "hello-from-pg" in out
    letters = ph.json("dlq", "list")
    assert [d["id"] for d in letters] == [doomed]
    assert letters[0]["dead_letter"]["reason"] == "retries_exhausted"
    w = wait_for(lambda: (lambda w: w if w["status"] == "succeeded" else None)(
        ph.json("workflow", "show", "--id", wid)), timeout=60, interval=0.3, what="workflow")
    assert {s["name"]: s["state"] for s in w["steps"]} == {"a": "succeeded", "b": "succeeded"}

    # The server and the CLI without it list the same jobs.
    status, _, api_jobs = srv.api("GET", "/api/v1/jobs?limit=100")
    assert status == 200
    api_list = api_jobs["jobs"] if isinstance(api_jobs, dict) else api_jobs
    assert sorted(j["id"] for j in api_list) == sorted(jobs)

    # job.completed for each success went to the webhook through the PostgreSQL outbox.
    wait_for(lambda: {b["job"]["id"] for b in rx.bodies("/hook")} >= {noop["id"], echo},
             timeout=30, what="webhook deliveries")
    delivered = ph.json("notify", "list", "--status", "delivered")
    assert {d["receiver"] for d in delivered} == {"hook"}

    # The audit trail has both faces.
    audit = ph.json("audit", "list")
    faces = {(e["action"], e["source"]) for e in audit}
    assert ("jobs.create", "api") in faces and ("jobs.create", "cli") in faces, audit
    assert ("workflows.create", "cli") in faces, audit
    # The API's own audit read gives the same trail.
    status, _, api_audit = srv.api("GET", "/api/v1/audit")
    assert status == 200
    assert len(api_audit["entries"]) == len(audit), api_audit

    status, _, metrics = srv.request("GET", "/api/v1/metrics")
    assert status == 200
    text = metrics.decode()
    assert 'hypersdk_queue_depth{status="failed"} 1' in text, text
    assert 'hypersdk_dead_letters 1' in text
    assert 'hypersdk_workflows{status="succeeded"} 1' in text
    assert "\nhypersdk_db_wal_bytes " not in text  # no SQLite WAL on PostgreSQL: absent, not 0
    # The dashboard's summary reads its success rates from PostgreSQL too.
    status, _, dash = srv.api("GET", "/api/v1/dashboard")
    assert status == 200, dash
    rates = {e["type"]: e for e in dash["success"]["24h"]["by_type"]}
    assert rates["noop"]["succeeded"] == 1 and rates["exec"]["failed"] == 1, rates
    # Registered in PostgreSQL: cluster status on the database lists this serve as the leader.
    nodes = ph.json("--local", "cluster", "status")["nodes"]
    assert [(n["address"], n["leader"]) for n in nodes] == [(srv.url, True)], nodes
    # Another node upgraded the schema past this binary: not ready, and it says what to do.
    psql(ph.db, "INSERT INTO schema_version (version, name) VALUES (9999, 'future')")
    status, body = ready(srv)
    assert status == 503, body
    assert "upgrade this hypersdk" in body["checks"]["database:migrations"][0]["output"], body
    psql(ph.db, "DELETE FROM schema_version WHERE version = 9999")
    assert ready(srv)[0] == 200
    assert srv.stop() == 0
    # Nothing was written to a SQLite file on the side.
    assert not list(Path(ph.tmp).rglob("*.db"))


def test_a_schedule_fires_on_postgres_at_the_test_clocks_time(ph):
    clock = FakeClock(ph, "2025-06-01T10:59:30Z")
    ph.run("db", "migrate", check=True)  # as an operator's install does; serve would too
    ph.run("schedule", "create", "--name", "hourly", "--cron", "0 * * * *", "--timezone", "UTC",
           "--type", "noop", check=True)
    assert [s["name"] for s in ph.json("schedule", "list")] == ["hourly"]
    srv = ph.serve(*clock.args())
    clock.set("2025-06-01T11:00:05Z")

    def fired():
        jobs = ph.json("list", "--limit", "10")
        return jobs if jobs and all(j["status"] == "succeeded" for j in jobs) else None

    jobs = wait_for(fired, timeout=30, interval=0.3, what="the 11:00 occurrence to run")
    assert len(jobs) == 1
    shown = ph.json("schedule", "show", "--name", "hourly", "--occurrences", "10")
    occ = shown["occurrences"]
    assert [o["outcome"] for o in occ] == ["fired"], shown
    assert occ[0]["nominal_utc"].startswith("2025-06-01T11:00:00"), shown
    assert srv.stop() == 0


def test_db_url_in_the_config_file_serves_and_never_shows_the_password(tmp_path, pg_db):
    url = pg_db.replace("postgres://postgres@", "postgres://postgres:hunter2@")
    assert "hunter2" in url
    (tmp_path / "hypersdk.yaml").write_text(f"db:\n  url: {url}\n")
    r = run(tmp_path, "config", "validate")
    assert r.returncode == 0, r.stderr
    shown = run(tmp_path, "config", "show")
    assert shown.returncode == 0, shown.stderr
    assert "url" in shown.stdout
    assert "hunter2" not in shown.stdout
    r = run(tmp_path, "db", "migrate")
    assert r.returncode == 0, r.stderr
    assert "schema is current" in r.stdout and "postgres:***@" in r.stdout, r.stdout
    assert "hunter2" not in r.stdout + r.stderr
    r = run(tmp_path, "--verbose", "list")
    assert r.returncode == 0, r.stderr
    assert "postgres:***@" in r.stderr and "hunter2" not in r.stderr + r.stdout
    latest = max(int(f.split("_")[0]) for f in os.listdir(SCHEMA_DIR) if f.endswith(".sql"))
    assert psql(pg_db, "SELECT max(version) FROM schema_version") == str(latest)
    # No SQLite database was made on the side.
    assert not (tmp_path / "home" / ".local" / "share" / "hypersdk").exists()
    assert not list(tmp_path.rglob("*.db"))


def test_cli_commands_on_a_database_without_the_schema_fail_instead_of_creating_it(tmp_path, pg_db):
    for args in (("list",), ("submit", "--type", "noop"), ("schedule", "list")):
        r = run(tmp_path, "--db", pg_db, *args)
        assert r.returncode == 3, (args, r.returncode, r.stderr)
        assert "no hypersdk database in " + pg_db in r.stderr
        assert "db migrate" in r.stderr
    assert psql(pg_db, "SELECT to_regclass('schema_version') IS NULL") == "t"
    assert run(tmp_path, "--db", pg_db, "db", "migrate").returncode == 0
    r = run(tmp_path, "--db", pg_db, "list")
    assert r.returncode == 0, r.stderr


def test_unreachable_postgres_is_unavailable_without_the_password(tmp_path):
    for args in (("serve", "--listen", f"127.0.0.1:{free_port()}"), ("list",)):
        r = run(tmp_path, "--db", "postgres://app:s3cret@127.0.0.1:1/none?connect_timeout=3", *args)
        assert r.returncode == 5, r.stderr
        assert "app:***@127.0.0.1:1" in r.stderr
        assert "s3cret" not in r.stderr


def test_db_check_on_postgres_checks_postgres_not_a_file_named_like_the_url(tmp_path, pg_db):
    # (test_pg_db_ops.py checks the report itself.)
    r = run(tmp_path, "--db", pg_db, "db", "check")
    assert r.returncode == 3, r.stderr  # no schema there yet: not_found, nothing created
    assert "no hypersdk database in" in r.stderr
    assert not any(p.name.startswith("postgres") for p in tmp_path.iterdir())


class OwnPostgres:
    """A PostgreSQL server of this test's own (the shared one must not stop): initdb into a
    temporary directory, pg_ctl start/stop on a fixed loopback port, as tests/pg/with_pg.sh
    does (as `nobody` when run as root: PostgreSQL refuses root)."""

    def __init__(self):
        bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
        assert bindirs, "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
        self.bindir = bindirs[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="hypersdk-own-pg."))
        self.root = os.geteuid() == 0
        if self.root:
            shutil.chown(self.dir, "nobody")
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.pg("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "-E",
                "UTF8", "--locale=C", "--no-sync")
        self.start()

    def pg(self, tool, *args):
        cmd = [str(self.bindir / tool), *args]
        if self.root:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        subprocess.run(cmd, cwd=self.dir, check=True, capture_output=True, timeout=120)

    def start(self):
        self.pg("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w",
                "-t", "60", "-o",
                f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start")

    def stop(self):
        self.pg("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def close(self):
        try:
            self.pg("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # stopped already
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_pg():
    pg = OwnPostgres()
    yield pg
    pg.close()


def test_a_stopped_postgres_makes_ready_503_with_the_reason_and_serve_recovers(tmp_path, own_pg):
    h = PgHypersdk(tmp_path, own_pg.url)
    try:
        srv = h.serve()
        wait_for(lambda: ready(srv)[0] == 200, timeout=20, what="/ready 200")
        own_pg.stop()

        def unready_and_said_so():
            status, body = ready(srv)
            reach = body["checks"]["database:reachable"][0]
            return status == 503 and reach["status"] == "fail" and "PostgreSQL" in reach["output"] \
                and body

        body = wait_for(unready_and_said_so, timeout=30, interval=0.2,
                        what="/ready 503 naming PostgreSQL")
        assert body["status"] == "fail" and "database:reachable" in body["output"]
        assert srv.request("GET", "/api/v1/health")[0] == 200  # alive, only not ready
        own_pg.start()
        wait_for(lambda: ready(srv)[0] == 200, timeout=30, interval=0.2,
                 what="/ready 200 once PostgreSQL is back")
        status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
        assert status == 201, job
        wait_for(lambda: srv.api("GET", "/api/v1/jobs/" + job["id"])[2]["status"] == "succeeded",
                 timeout=30, interval=0.2, what="a job after the outage to succeed")
        assert srv.stop() == 0
    finally:
        h.close()

"""Database operations on PostgreSQL (issue 17): `db check`, `db backup` (pg_dump),
`upgrade check` and the /metrics database figures, against a real PostgreSQL. ctest runs this
file under tests/pg/with_pg.sh (HYPERSDK_TEST_PG_URL)."""
import json
import os
import re
import stat
import subprocess
import time
from pathlib import Path

from conftest import wait_for
from pg_support import PG_URL, PgHypersdk, new_database, pg_db, ph, psql  # noqa: F401 (pg_db, ph: fixtures)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema" / "pg"
MIGRATIONS = sorted(p.stem for p in SCHEMA_DIR.glob("*.sql"))
LATEST = int(MIGRATIONS[-1].split("_")[0])


def db_name(url):
    return url.rsplit("/", 1)[1].split("?")[0]


def check(ph, *extra):
    r = ph.run("db", "check", "--json", *extra)
    return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr


# ---- db check ------------------------------------------------------------------------------


def test_db_check_on_postgres_reports_the_schema_and_says_what_does_not_apply(ph):
    # A database serve never set up: not_found, as a missing SQLite file, and nothing created.
    r = ph.run("db", "check")
    assert r.returncode == 3, r.stderr
    assert "no hypersdk database in" in r.stderr
    assert psql(ph.db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"

    ph.run("db", "migrate", check=True)
    ph.submit("--type", "noop")
    code, rep, err = check(ph)
    assert code == 0, err
    assert rep["ok"] is True and rep["problems"] == []
    assert rep["driver"] == "postgresql"
    assert rep["schema_version"] == rep["binary_schema_version"] == LATEST
    assert [m["name"] for m in rep["migrations"]] == MIGRATIONS
    assert [m["version"] for m in rep["migrations"]] == list(range(1, LATEST + 1))
    assert rep["jobs"] == 1
    size = int(psql(ph.db, "SELECT pg_database_size(current_database())"))
    assert abs(rep["size_bytes"] - size) < 1024 * 1024, (rep["size_bytes"], size)
    assert rep["wal_bytes"] is None  # the server's WAL is not ours to measure: not a 0
    assert any("pg_amcheck" in n for n in rep["notes"]), rep["notes"]
    # The same keys as the SQLite report, so one script reads both.
    for key in ("ok", "path", "schema_version", "binary_schema_version", "jobs", "size_bytes",
                "wal_bytes", "problems"):
        assert key in rep, key
    text = ph.run("db", "check")
    assert text.returncode == 0 and "ok: the database is intact" in text.stdout, text.stdout
    assert "note:" in text.stdout and "PostgreSQL" in text.stdout


def test_db_check_on_postgres_finds_what_is_wrong_and_exits_1(ph):
    ph.run("db", "migrate", check=True)
    # An index a failed CREATE INDEX CONCURRENTLY left behind, invalid.
    psql(ph.db, "CREATE TABLE scratch (x BIGINT); INSERT INTO scratch VALUES (1), (1)")
    dup = subprocess.run(["psql", ph.db, "-c", "CREATE UNIQUE INDEX CONCURRENTLY broken_idx ON "
                          "scratch (x)"], capture_output=True, text=True, timeout=60)
    assert "could not create unique index" in dup.stderr, dup.stderr
    assert psql(ph.db, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE c.relname = 'broken_idx' AND NOT i.indisvalid") == "1"
    # A constraint added NOT VALID and never validated.
    psql(ph.db, "ALTER TABLE jobs ADD CONSTRAINT jobs_id_positive CHECK (id > 0) NOT VALID")
    # A migration's record gone from the middle of the list.
    psql(ph.db, "DELETE FROM schema_version WHERE version = 3")
    code, rep, err = check(ph)
    assert code == 1, err
    assert rep["ok"] is False
    problems = "\n".join(rep["problems"])
    assert "index broken_idx is invalid" in problems and "REINDEX INDEX broken_idx" in problems
    assert "constraint jobs.jobs_id_positive is not validated" in problems
    assert f"migration {MIGRATIONS[2]} is not recorded" in problems
    assert len(rep["problems"]) == 3, rep["problems"]
    text = ph.run("db", "check")
    assert text.returncode == 1 and "NOT OK" in text.stdout
    assert "problem:  index broken_idx" in text.stdout

    # Mended, it is intact again.
    psql(ph.db, "DROP INDEX broken_idx")
    psql(ph.db, "ALTER TABLE jobs VALIDATE CONSTRAINT jobs_id_positive")
    # (Recorded now, after 0004..: out of order, and said so.)
    psql(ph.db, f"INSERT INTO schema_version (version, name) VALUES (3, '{MIGRATIONS[2]}')")
    code, rep, _ = check(ph)
    assert code == 1 and len(rep["problems"]) == 1, rep["problems"]
    assert "out of order" in rep["problems"][0] and "0004" in rep["problems"][0]
    psql(ph.db, "UPDATE schema_version SET applied_at = "
                "(SELECT applied_at FROM schema_version WHERE version = 2) WHERE version = 3")
    assert check(ph)[0] == 0

    # A schema newer than this binary (another node upgraded it): said, exit 1.
    psql(ph.db, "INSERT INTO schema_version (version, name) VALUES (9999, '9999_future')")
    code, rep, _ = check(ph)
    assert code == 1 and rep["schema_version"] == 9999
    assert any("newer than this binary" in p for p in rep["problems"]), rep["problems"]


def test_db_check_on_unreachable_postgres_is_unavailable_without_the_password(tmp_path):
    h = PgHypersdk(tmp_path, "postgres://app:s3cret@127.0.0.1:1/none?connect_timeout=3")
    try:
        for args in (("db", "check"), ("db", "check", "--json"), ("upgrade", "check")):
            r = h.run(*args)
            assert "s3cret" not in r.stdout + r.stderr
            if args[0] == "db":
                assert r.returncode == 5, r.stderr
                assert "app:***@127.0.0.1:1" in r.stderr
            else:  # upgrade check reports it as what makes the upgrade unsafe
                assert r.returncode == 1, r.stdout
                assert "app:***@127.0.0.1:1" in r.stdout and "NOT safe" in r.stdout
    finally:
        h.close()


# ---- db backup -----------------------------------------------------------------------------


def test_db_backup_on_postgres_is_a_private_pg_dump_that_pg_restore_reads(ph, tmp_path):
    ph.run("db", "migrate", check=True)
    ids = [ph.submit("--type", "noop") for _ in range(3)]
    ph.run("schedule", "create", "--name", "nightly", "--cron", "0 2 * * *", "--timezone",
           "UTC", "--type", "noop", check=True)
    out = tmp_path / "backups" / "hypersdk.dump"
    out.parent.mkdir()
    r = ph.run("db", "backup", str(out))
    assert r.returncode == 0, r.stderr
    assert "pg_restore" in r.stdout  # says how to restore
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    listing = subprocess.run(["pg_restore", "--list", str(out)], capture_output=True, text=True,
                             check=True).stdout
    assert "TABLE DATA public jobs" in listing and "TABLE DATA public schedules" in listing

    # Restored into an empty database, hypersdk finds the same jobs and schedule there.
    url, name = new_database(PG_URL)
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={url}", str(out)], check=True,
                       capture_output=True, text=True, timeout=120)
        (tmp_path / "restored").mkdir()
        restored = PgHypersdk(tmp_path / "restored", url)
        try:
            assert sorted(j["id"] for j in restored.json("list")) == sorted(
                j["id"] for j in ph.json("list"))
            assert len(ids) == 3 and len(restored.json("list")) == 3
            assert [s["name"] for s in restored.json("schedule", "list")] == ["nightly"]
            assert restored.run("db", "check").returncode == 0
        finally:
            restored.close()
    finally:
        psql(PG_URL, f"DROP DATABASE {name} WITH (FORCE)")

    # The destination must not exist, as on SQLite.
    again = ph.run("db", "backup", str(out))
    assert again.returncode == 4 and "already exists" in again.stderr


def fake_pg_dump(bindir, record, fail=False):
    """A pg_dump that records its argv and PGPASSWORD, and writes a dump or fails."""
    bindir.mkdir(exist_ok=True)
    script = bindir / "pg_dump"
    body = (f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}/argv\n'
            f'printf "%s" "${{PGPASSWORD-unset}}" > {record}/password\n')
    if fail:
        body += 'echo "pg_dump: error: connection refused (fake)" >&2\nexit 1\n'
    else:
        body += 'for a; do case "$a" in --file=*) printf PGDMP > "${a#--file=}";; esac; done\n'
    script.write_text(body)
    script.chmod(0o755)


def test_db_backup_hands_pg_dump_the_password_in_its_environment_only(tmp_path, pg_db):
    url = pg_db.replace("postgres://postgres@", "postgres://postgres:hunter%402@")
    h = PgHypersdk(tmp_path, url)
    try:
        bindir, record = tmp_path / "bin", tmp_path / "record"
        record.mkdir()
        fake_pg_dump(bindir, record)
        env = {"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        out = tmp_path / "b.dump"
        r = h.run("db", "backup", str(out), env=env)
        assert r.returncode == 0, r.stderr
        argv = (record / "argv").read_text().splitlines()
        assert (record / "password").read_text() == "hunter@2"  # percent-decoded
        assert not any("hunter" in a for a in argv), argv
        assert "--format=custom" in argv and f"--file={out}" in argv
        assert f"--dbname={pg_db}" in argv, argv
        assert "hunter" not in r.stdout + r.stderr
        assert stat.S_IMODE(out.stat().st_mode) == 0o600

        # pg_dump fails: its message, no password, and no half-written file left behind.
        fake_pg_dump(bindir, record, fail=True)
        failed = tmp_path / "failed.dump"
        r = h.run("db", "backup", str(failed), env=env)
        assert r.returncode == 5, r.stderr
        assert "connection refused (fake)" in r.stderr and "pg_dump" in r.stderr
        assert "postgres:***@" in r.stderr and "hunter" not in r.stderr
        assert not failed.exists()
    finally:
        h.close()


def test_db_backup_without_pg_dump_names_the_tool_to_install(tmp_path, pg_db):
    h = PgHypersdk(tmp_path, pg_db)
    try:
        out = tmp_path / "b.dump"
        r = h.run("db", "backup", str(out), env={"PATH": str(tmp_path / "empty")})
        assert r.returncode == 3, r.stderr
        assert "pg_dump" in r.stderr and "postgresql-client" in r.stderr
        assert not out.exists()
    finally:
        h.close()


# ---- upgrade check -------------------------------------------------------------------------


def install_older_schema(url, upto):
    """The schema an older hypersdk left: migrations 1..upto, recorded as PgDatabase does."""
    psql(url, "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
              "applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); CREATE SEQUENCE data_version_seq")
    for name in MIGRATIONS[:upto]:
        subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-f",
                        str(SCHEMA_DIR / f"{name}.sql")], check=True, capture_output=True,
                       timeout=120)
        psql(url, f"INSERT INTO schema_version (version, name) VALUES "
                  f"({int(name.split('_')[0])}, '{name}')")


def upgrade_check(h):
    r = h.run("upgrade", "check", "--json")
    return r.returncode, json.loads(r.stdout), r


def test_upgrade_check_on_postgres_reports_pending_migrations_and_older_nodes(ph):
    # Nothing there yet: the first start creates the schema; safe.
    code, rep, r = upgrade_check(ph)
    assert code == 0, r.stdout
    assert rep["database"]["driver"] == "postgresql" and rep["database"]["exists"] is False

    install_older_schema(ph.db, LATEST - 1)
    now_ms = int(time.time() * 1000)
    psql(ph.db, "INSERT INTO servers (address, pid, host, version, started_at, heartbeat) "
                f"VALUES ('http://10.0.0.9:8080', 4242, 'other-node', '0.0.1', {now_ms}, "
                f"{now_ms + 60_000})")
    code, rep, r = upgrade_check(ph)
    assert code == 1, r.stdout
    db = rep["database"]
    assert db["schema_version"] == LATEST - 1 and db["binary_schema_version"] == LATEST
    assert db["pending_migrations"] == [MIGRATIONS[-1]]
    assert db["backup_before_migrate"] is False
    assert [(n["address"], n["version"], n["older"]) for n in rep["nodes"]] == [
        ("http://10.0.0.9:8080", "0.0.1", True)]
    blocked = [p for p in rep["problems"] if "older hypersdk" in p]
    assert len(blocked) == 1 and "http://10.0.0.9:8080 (version 0.0.1" in blocked[0], rep
    assert rep["safe"] is False
    text = ph.run("upgrade", "check")
    assert "1 pending" in text.stdout and MIGRATIONS[-1] in text.stdout, text.stdout
    assert "db backup FILE" in text.stdout and "(older)" in text.stdout
    # What upgrade check predicts is what the binary does: the migration is refused.
    refused = ph.run("db", "migrate")
    assert refused.returncode == 4 and "http://10.0.0.9:8080" in refused.stderr, refused.stderr
    assert psql(ph.db, "SELECT max(version) FROM schema_version") == str(LATEST - 1)

    # The old node is gone: safe, and the migration goes through.
    psql(ph.db, "DELETE FROM servers")
    code, rep, r = upgrade_check(ph)
    assert code == 0 and rep["safe"] is True and rep["problems"] == [], r.stdout
    assert rep["database"]["pending_migrations"] == [MIGRATIONS[-1]]
    ph.run("db", "migrate", check=True)
    code, rep, _ = upgrade_check(ph)
    assert code == 0 and rep["database"]["pending_migrations"] == []

    # A running job makes it unsafe, named with its lease owner.
    job = ph.submit("--type", "noop")
    psql(ph.db, "UPDATE jobs SET status = 'running', lease_owner = 'node-a' "
                f"WHERE id = {int(job.removeprefix('j-'))}")
    code, rep, r = upgrade_check(ph)
    assert code == 1, r.stdout
    assert rep["running_jobs"]["count"] == 1
    assert rep["running_jobs"]["ids"] == [{"id": job, "lease_owner": "node-a"}], rep
    assert any("1 job(s) running" in p for p in rep["problems"])


def test_upgrade_check_reads_postgres_not_a_sqlite_file_of_the_same_name(ph, tmp_path):
    ph.run("db", "migrate", check=True)
    code, rep, r = upgrade_check(ph)
    assert code == 0, r.stdout
    assert rep["database"]["path"] == ph.db
    assert rep["database"]["schema_version"] == LATEST
    assert not list(tmp_path.rglob("*.db"))


# ---- /metrics ------------------------------------------------------------------------------

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def samples(text):
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(4))
    return out


def scrape(srv):
    status, _, body = srv.request("GET", "/api/v1/metrics")
    assert status == 200
    text = body.decode()
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
    assert check.returncode == 0, f"promtool check metrics: {check.stdout}{check.stderr}"
    return text, samples(text)


def terminate_sessions(url):
    psql(PG_URL, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                 f"WHERE datname = '{db_name(url)}'")


def test_metrics_on_postgres_show_the_servers_figures_and_no_sqlite_zeros(ph):
    srv = ph.serve()
    srv.wait_ready()
    text, s = scrape(srv)
    # SQLite's file figures are absent, not 0 (a family the registry declares may keep its
    # HELP line, but has no sample).
    for name in ("hypersdk_db_wal_bytes", "hypersdk_db_writes_total", "hypersdk_db_commits_total"):
        assert not [k for k in s if k == name or k.startswith(name + "{")], name
    assert 'path_kind="database"' not in text
    # PostgreSQL's own, in their place.
    size = int(psql(ph.db, "SELECT pg_database_size(current_database())"))
    assert abs(s["hypersdk_db_size_bytes"] - size) < 1024 * 1024, (s["hypersdk_db_size_bytes"], size)
    assert s['hypersdk_db_connections{state="active"}'] >= 1  # the scrape's own read
    assert sum(v for k, v in s.items() if k.startswith("hypersdk_db_connections{")) >= 1
    assert s["hypersdk_db_max_connections"] == int(psql(ph.db, "SHOW max_connections"))
    assert s["hypersdk_db_write_failing"] == 0
    assert s["hypersdk_db_write_failure_episodes_total"] == 0

    # Writes fail (the database turned read-only under the serve): the scrape says so.
    name = db_name(ph.db)
    psql(PG_URL, f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    try:
        terminate_sessions(ph.db)
        srv.api("POST", "/api/v1/jobs", {"type": "noop"})  # a write, besides the heartbeats
        wait_for(lambda: scrape(srv)[1].get("hypersdk_db_write_failing") == 1, timeout=30,
                 interval=0.5, what="hypersdk_db_write_failing 1")
        _, s = scrape(srv)
        assert s["hypersdk_db_write_failure_episodes_total"] >= 1
        assert s["hypersdk_db_size_bytes"] > 0  # reads still work: still measured
    finally:
        psql(PG_URL, f"ALTER DATABASE {name} RESET default_transaction_read_only")
        terminate_sessions(ph.db)
    wait_for(lambda: scrape(srv)[1].get("hypersdk_db_write_failing") == 0, timeout=30,
             interval=0.5, what="hypersdk_db_write_failing back to 0")
    _, s = scrape(srv)
    assert s["hypersdk_db_write_failure_episodes_total"] >= 1  # a counter: kept
    assert srv.stop() == 0

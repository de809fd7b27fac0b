"""Upgrades and rollbacks through the real binary: `upgrade check`, a database one schema
version behind (built from schema/*.sql minus the last migration, holding rows the current
binary wrote), the backup taken before migrating, the rollback (restore the backup) and
renamed config keys."""
import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import wait_for

REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((REPO / "schema").glob("*.sql"))
EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}


def user_version(path):
    with sqlite3.connect(path) as c:
        return c.execute("PRAGMA user_version").fetchone()[0]


def dump(path):
    """The logical content: schema and rows, in order."""
    c = sqlite3.connect(path)
    try:
        return list(c.iterdump())
    finally:
        c.close()


def build_previous_version_db(path: Path, source: Path):
    """The database a binary one migration older made: every migration but the last, applied
    as the binary applies them (one transaction each, then user_version), in WAL mode; then
    the rows of `source` (written by the current binary), in the columns that version has."""
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    for m in MIGRATIONS[:-1]:
        version = int(m.name.split("_")[0])
        c.execute("BEGIN IMMEDIATE")
        for statement in split_sql(m.read_text()):  # executescript would COMMIT first
            c.execute(statement)
        c.execute(f"PRAGMA user_version={version}")
        c.execute("COMMIT")
    c.execute(f"ATTACH DATABASE '{source}' AS cur")
    tables = [r[0] for r in c.execute("SELECT name FROM main.sqlite_master WHERE type='table' "
                                      "AND name NOT LIKE 'sqlite_%'")]
    c.execute("BEGIN")
    for t in tables:
        cols = [r[1] for r in c.execute(f"PRAGMA main.table_info({t})")]
        if not c.execute("SELECT 1 FROM cur.sqlite_master WHERE name=?", (t,)).fetchone():
            continue
        col_list = ", ".join(cols)
        # OR REPLACE: rows a migration seeds (schedule_generation) are in both databases.
        c.execute(f"INSERT OR REPLACE INTO main.{t} ({col_list}) SELECT {col_list} FROM cur.{t}")
    c.execute("COMMIT")
    c.execute("DETACH DATABASE cur")
    c.close()


def split_sql(text):
    """Statements of a migration file (sqlite3.complete_statement finds their ends)."""
    out, buf = [], ""
    for line in text.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf)
            buf = ""
    assert not buf.strip() or buf.strip().startswith("--"), buf
    return out


def run_on(h, db, *args):
    """h.run on another database file."""
    saved, h.db = h.db, db
    try:
        return h.run(*args)
    finally:
        h.db = saved


def seed(h):
    """Real rows from the current binary: succeeded, failed (dead-lettered) and queued jobs."""
    h.env.update(EXEC_ON)
    srv = h.serve()
    ok = h.submit("--type", "exec", "--", "/bin/echo", "backup done")
    bad = h.submit("--type", "exec", "--retry-max", "0", "--", "/bin/sh", "-c", "exit 3")
    wait_for(lambda: {h.json("query", "--id", i)["status"] for i in (ok, bad)} == {"succeeded", "failed"},
             what="seed jobs to finish")
    assert srv.stop() == 0
    later = h.submit("--type", "noop")  # queued while no server runs
    return ok, bad, later


@pytest.mark.skipif(len(MIGRATIONS) < 2, reason="needs a previous schema version")
def test_upgrade_from_the_previous_schema_backs_up_and_rolls_back(h, tmp_path):
    last = MIGRATIONS[-1].stem
    n = int(last.split("_")[0])
    prev = int(MIGRATIONS[-2].stem.split("_")[0])  # numbers may skip (parallel branches)
    ok, bad, later = seed(h)
    current_db = h.db
    old = tmp_path / "old" / "hypersdk.db"
    old.parent.mkdir()
    build_previous_version_db(old, current_db)
    h.db = old
    assert user_version(old) == prev
    before = dump(old)
    assert any("backup done" in s for s in before)

    # Before: the new binary sees one pending migration, a backup to come, nothing running.
    check = h.run("upgrade", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"pending, applied at the next start: {last}" in check.stdout
    assert "safe to upgrade" in check.stdout
    report = h.json("upgrade", "check")
    assert report["safe"] is True
    assert report["database"]["schema_version"] == prev
    assert report["database"]["pending_migrations"] == [last]
    assert report["database"]["backup_before_migrate"] is True
    assert report["running_jobs"]["count"] == 0

    # A job still running makes it unsafe (checked on a copy).
    busy = tmp_path / "busy.db"
    with sqlite3.connect(old) as src, sqlite3.connect(busy) as dst:
        src.backup(dst)
    with sqlite3.connect(busy) as c:
        c.execute("UPDATE jobs SET status='running', lease_owner='otherhost:1:1', lease_until=? "
                  "WHERE status='queued'", (int(time.time() * 1000) + 60000,))
    r = run_on(h, busy, "upgrade", "check")
    assert r.returncode == 1 and "1 job(s) running" in r.stdout, r.stdout

    # Upgrade: the new binary starts on the old database, backs it up, then migrates.
    t0 = time.monotonic()
    srv = h.serve()
    backups = list(old.parent.glob(f"hypersdk.db.backup-v{prev}-*"))
    assert len(backups) == 1, list(old.parent.iterdir())
    migrated = [l for l in srv.output().splitlines() if '"database migrated"' in l]
    assert migrated and json.loads(migrated[0])["backup"] == str(backups[0])
    assert user_version(old) == n
    jobs = {j["id"]: j for j in h.json("list", "--limit", "100")}
    assert jobs[ok]["status"] == "succeeded" and jobs[bad]["status"] == "failed"
    wait_for(lambda: h.json("query", "--id", later)["status"] == "succeeded", what="queued job to run")
    assert [d["id"] for d in h.json("dlq", "list")] == [bad]
    after_upgrade = h.submit("--type", "noop")
    assert srv.stop() == 0
    upgrade_seconds = time.monotonic() - t0
    assert h.json("upgrade", "check")["database"]["pending_migrations"] == []

    # The backup is the database as it was before the upgrade, at the old version.
    assert user_version(backups[0]) == prev
    assert dump(backups[0]) == before
    with sqlite3.connect(backups[0]) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # The previous binary would refuse the migrated database, naming the way back.
    newer = tmp_path / "newer.db"
    shutil.copy(old, newer)
    with sqlite3.connect(newer) as c:
        c.execute(f"PRAGMA user_version={n + 1}")
    r = run_on(h, newer, "list")
    assert r.returncode == 4, r.stderr
    assert "newer than this hypersdk supports" in r.stderr and "restore the backup" in r.stderr
    r = run_on(h, newer, "upgrade", "check")
    assert r.returncode == 1 and "newer than this hypersdk supports" in r.stdout

    # Rollback: stop (done), put the backup back, start the previous binary. Timed.
    t0 = time.monotonic()
    for suffix in ("-wal", "-shm"):
        Path(str(old) + suffix).unlink(missing_ok=True)
    shutil.copy2(backups[0], old)
    rollback_seconds = time.monotonic() - t0
    assert user_version(old) == prev
    assert dump(old) == before  # exactly the pre-upgrade state; later jobs are gone
    report = h.json("upgrade", "check")
    assert report["database"]["schema_version"] == prev
    assert report["database"]["pending_migrations"] == [last]
    assert after_upgrade not in json.dumps(before)
    print(f"upgrade (start + migrate + stop): {upgrade_seconds:.2f}s, restore: {rollback_seconds:.3f}s")
    assert rollback_seconds < 120


def test_renamed_config_key_is_migrated_with_a_warning_naming_the_fix(h):
    h.write_config("workers:\n  pool_size: 3\n")
    r = h.run("config", "show", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["workers"]["count"] == 3
    assert f"{h.config}:2:" in r.stderr
    assert "'workers.pool_size' is deprecated" in r.stderr
    assert "rename workers.pool_size to workers.count" in r.stderr

    # From the environment: the fix names the new variable.
    r = h.run("config", "show", "--json", env={"HYPERSDK_WORKERS__POOL_SIZE": "5"})
    assert json.loads(r.stdout)["workers"]["count"] == 5
    assert "rename HYPERSDK_WORKERS__POOL_SIZE to HYPERSDK_WORKERS__COUNT" in r.stderr

    # upgrade check lists it, and it does not make an upgrade unsafe.
    report = h.json("upgrade", "check")
    assert report["safe"] is True
    assert len(report["config"]["deprecations"]) == 1
    assert "rename workers.pool_size to workers.count" in report["config"]["deprecations"][0]
    text = h.run("upgrade", "check").stdout
    assert "deprecated: " in text and "rename workers.pool_size to workers.count" in text

    # serve runs with the migrated value.
    srv = h.serve()
    started = [json.loads(l) for l in srv.output().splitlines()
               if l.startswith("{") and '"hypersdk serve started"' in l]
    assert started and started[0]["workers"] == 3
    assert "rename workers.pool_size to workers.count" in srv.output()
    assert srv.stop() == 0

    # Both spellings at once is an error that says which to keep.
    h.write_config("workers:\n  pool_size: 3\n  count: 4\n")
    r = h.run("config", "validate")
    assert r.returncode == 2
    assert "keep only workers.count" in r.stderr


def test_upgrade_check_fails_on_a_broken_config(h):
    h.write_config("workers:\n  count: lots\n")
    r = h.run("upgrade", "check")
    assert r.returncode == 1
    assert "NOT safe to upgrade" in r.stdout and "the config does not load" in r.stdout
    assert f"{h.config}:2" in r.stdout


def test_upgrade_check_on_a_fresh_host(h):
    r = h.run("upgrade", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "not created yet" in r.stdout
    assert not h.db.exists()  # checking did not create it

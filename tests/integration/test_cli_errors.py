"""Bad input of every kind gets a clear error, a documented exit code, and writes nothing."""
import json
import sqlite3


def test_unknown_flag_is_a_usage_error(h):
    r = h.run("list", "--bogus")
    assert r.returncode == 2
    assert "bogus" in r.stderr


def test_unknown_job_id(h):
    r = h.run("query", "--id", "j-999")
    assert r.returncode == 3
    assert "no job j-999" in r.stderr
    r = h.run("query", "--id", "nonsense")
    assert r.returncode == 2


def test_misspelled_config_key_gets_a_suggestion(h):
    h.remove_db()
    h.write_config("workers:\n  cuont: 4\n")
    r = h.run("config", "validate")
    assert r.returncode == 2
    assert "did you mean" in r.stderr and "workers.count" in r.stderr
    assert ":2:" in r.stderr  # file:line
    r = h.run("list")
    assert r.returncode == 2
    assert not h.db.exists()  # nothing written


def test_database_from_a_newer_version_is_refused(h):
    h.run("list", check=True)
    con = sqlite3.connect(h.db)
    con.execute("PRAGMA user_version=999")
    con.commit()
    con.close()
    r = h.run("list")
    assert r.returncode == 4
    assert "newer than this hypersdk" in r.stderr
    con = sqlite3.connect(h.db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 999
    con.close()


def test_corrupt_database_file_is_a_clear_error(h):
    junk = b"definitely not a database" * 100
    h.db.write_bytes(junk)
    r = h.run("list")
    assert r.returncode == 1, (r.returncode, r.stderr)  # README "Exit codes": 1, not a crash
    assert "not a hypersdk database" in r.stderr
    assert h.db.read_bytes() == junk  # left as it was


def test_config_show_redacts_and_names_sources(h):
    h.write_config("api:\n  tokens:\n    - name: ops\n      token: s3cret-value\n      role: admin\n")
    r = h.run("config", "show", env={"HYPERSDK_WORKERS__COUNT": "7"}, check=True)
    assert "s3cret-value" not in r.stdout
    line = [l for l in r.stdout.splitlines() if l.startswith("workers.count")][0]
    assert "7" in line and "HYPERSDK_WORKERS__COUNT" in line


def test_submit_from_a_yaml_file(h, tmp_path):
    f = tmp_path / "job.yaml"
    f.write_text("type: noop\npriority: 5\nlabels:\n  team: ops\n")
    job = h.json("submit", "--file", str(f))
    assert job["priority"] == 5 and job["labels"] == {"team": "ops"}
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "noop", "priorty": 5}')
    r = h.run("submit", "--file", str(bad))
    assert r.returncode == 2 and "priorty" in r.stderr


def test_db_backup_and_check(h, tmp_path):
    h.submit("--type", "noop")
    r = h.run("db", "backup", str(tmp_path / "copy.db"), check=True)
    con = sqlite3.connect(tmp_path / "copy.db")
    assert con.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1
    con.close()
    r = h.run("db", "check", "--json", check=True)
    assert json.loads(r.stdout)["ok"] is True

"""db.url / --db postgres://: serve connects to PostgreSQL, migrates it, and refuses clearly
with what is not supported there yet; the CLI's database path refuses a PostgreSQL URL instead
of making a SQLite file named like it; passwords never reach an error. Runs beside a real
PostgreSQL: ctest starts this file under tests/pg/with_pg.sh (HYPERSDK_TEST_PG_URL)."""
import os
import subprocess
import uuid

import pytest

from conftest import BIN, free_port

PG_URL = os.environ.get("HYPERSDK_TEST_PG_URL", "")
SCHEMA_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "schema", "pg")


def psql(url, sql):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                          capture_output=True, text=True, timeout=60, check=True).stdout.strip()


@pytest.fixture
def pg_db():
    assert PG_URL, "HYPERSDK_TEST_PG_URL is not set: run this file under tests/pg/with_pg.sh"
    name = "t_" + uuid.uuid4().hex[:12]
    psql(PG_URL, f"CREATE DATABASE {name} TEMPLATE template0")
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    psql(PG_URL, f"DROP DATABASE {name} WITH (FORCE)")


def run(tmp_path, *args, timeout=60):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    cfg = tmp_path / "hypersdk.yaml"
    if not cfg.exists():
        cfg.write_text("")
    return subprocess.run([BIN, "--config", str(cfg), *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=timeout)


def test_serve_on_postgres_migrates_then_names_what_is_not_supported_yet(tmp_path, pg_db):
    r = run(tmp_path, "--db", pg_db, "serve", "--listen", f"127.0.0.1:{free_port()}")
    assert r.returncode == 2, r.stderr
    assert "not supported yet" in r.stderr
    for part in ("notification outbox", "audit log", "server registry"):
        assert part in r.stderr
    latest = max(int(f.split("_")[0]) for f in os.listdir(SCHEMA_DIR) if f.endswith(".sql"))
    assert psql(pg_db, "SELECT max(version) FROM schema_version") == str(latest)
    # No SQLite database was made on the side.
    assert not (tmp_path / "home" / ".local" / "share" / "hypersdk").exists()


def test_db_url_in_the_config_file_is_accepted_and_redacted(tmp_path, pg_db):
    url = pg_db.replace("postgres://postgres@", "postgres://postgres:hunter2@")
    (tmp_path / "hypersdk.yaml").write_text(f"db:\n  url: {url}\n")
    r = run(tmp_path, "config", "validate")
    assert r.returncode == 0, r.stderr
    shown = run(tmp_path, "config", "show")
    assert shown.returncode == 0, shown.stderr
    assert "db.url" in shown.stdout or "url" in shown.stdout
    assert "hunter2" not in shown.stdout
    r = run(tmp_path, "serve", "--listen", f"127.0.0.1:{free_port()}")
    assert r.returncode == 2, r.stderr
    assert "not supported yet" in r.stderr
    assert "hunter2" not in r.stderr


def test_unreachable_postgres_is_unavailable_without_the_password(tmp_path):
    r = run(tmp_path, "--db", "postgres://app:s3cret@127.0.0.1:1/none?connect_timeout=3", "serve",
            "--listen", f"127.0.0.1:{free_port()}")
    assert r.returncode == 5, r.stderr
    assert "app:***@127.0.0.1:1" in r.stderr
    assert "s3cret" not in r.stderr


def test_cli_commands_refuse_a_postgres_url_instead_of_making_a_file(tmp_path, pg_db):
    r = run(tmp_path, "--db", pg_db, "list")
    assert r.returncode == 2, r.stderr
    assert "SQLite database only" in r.stderr
    assert not any(p.name.startswith("postgres") for p in tmp_path.iterdir())

"""PostgreSQL for the test_pg_*.py files: the throwaway server tests/pg/with_pg.sh started
(HYPERSDK_TEST_PG_URL), psql, a fresh database per test, an installation whose --db is that
database (`ph`), and the CLI run with a clean environment (`run_cli`)."""
import os
import subprocess
import uuid

import pytest

from conftest import BIN, Hypersdk, Server, free_port

PG_URL = os.environ.get("HYPERSDK_TEST_PG_URL", "")


def psql(url, sql, timeout=120):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                          capture_output=True, text=True, timeout=timeout,
                          check=True).stdout.strip()


def new_database(base_url):
    """A new empty database beside base_url's: (its URL, its name)."""
    name = "t_" + uuid.uuid4().hex[:12]
    psql(base_url, f"CREATE DATABASE {name} TEMPLATE template0")
    return base_url.rsplit("/", 1)[0] + "/" + name, name


@pytest.fixture
def pg_db():
    """The URL of a database of its own for one test, dropped afterwards."""
    assert PG_URL, "HYPERSDK_TEST_PG_URL is not set: run this file under tests/pg/with_pg.sh"
    url, name = new_database(PG_URL)
    yield url
    psql(PG_URL, f"DROP DATABASE {name} WITH (FORCE)")


class PgServer(Server):
    """serve on PostgreSQL: ready once /health answers (the conftest's registration check reads
    a SQLite file; test_pg_serve checks the PostgreSQL registry itself)."""

    def registered(self):
        return True


class PgHypersdk(Hypersdk):
    """An installation whose --db is a PostgreSQL URL (no SQLite file anywhere)."""

    def __init__(self, tmp, url):
        super().__init__(tmp, create_db=False)
        self.db = url

    def serve(self, *args, env=None, port=None, host="127.0.0.1"):
        srv = PgServer(self, port or free_port(), args, env, host)
        self.servers.append(srv)
        return srv


@pytest.fixture
def ph(tmp_path, pg_db):
    inst = PgHypersdk(tmp_path, pg_db)
    yield inst
    inst.close()


def ready(srv):
    status, _, body = srv.api("GET", "/api/v1/ready")
    return status, body


def run_cli(tmp_path, *args, timeout=60):
    """The binary with tmp_path/hypersdk.yaml (empty unless written) and a clean environment:
    the caller passes --db and everything else."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    cfg = tmp_path / "hypersdk.yaml"
    if not cfg.exists():
        cfg.write_text("")
    return subprocess.run([BIN, "--config", str(cfg), *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=timeout)

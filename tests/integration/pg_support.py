"""PostgreSQL for the test_pg_*.py files: the throwaway server tests/pg/with_pg.sh started
(HYPERSDK_TEST_PG_URL), psql, and a fresh database per test."""
import os
import subprocess
import uuid

import pytest

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

"""Timeouts on PostgreSQL (issue 17, P6 item 2): nothing hangs on a black-holed network or a
locked table. A server that accepts the TCP connection and never answers fails serve and the
CLI within the connect timeout (5 s unless the URL sets connect_timeout), naming the URL
without its password; a statement blocked by another session's lock runs into
db.statement_timeout, so /ready answers 503 with the reason within it, and serve recovers
when the lock goes. Runs under tests/pg/with_pg.sh (HYPERSDK_TEST_PG_URL)."""
import socket
import subprocess
import threading
import time

import pytest

from conftest import free_port, wait_for
from pg_support import PgHypersdk, pg_db, psql, ready, run_cli  # noqa: F401 (pg_db: a fixture)


class BlackHole:
    """A TCP listener that accepts every connection and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)  # held open, never answered

    def close(self):
        self.sock.close()
        for c in self.accepted:
            c.close()


@pytest.fixture
def black_hole():
    bh = BlackHole()
    yield bh
    bh.close()


def run(tmp_path, *args, timeout=60):
    start = time.monotonic()
    r = run_cli(tmp_path, *args, timeout=timeout)
    return r, time.monotonic() - start


@pytest.mark.parametrize("args", [("serve",), ("list",)])
def test_a_server_that_never_answers_fails_within_the_default_connect_timeout(tmp_path, black_hole,
                                                                               args):
    url = f"postgres://app:s3cret@127.0.0.1:{black_hole.port}/none"
    if args == ("serve",):
        args = ("serve", "--listen", f"127.0.0.1:{free_port()}")
    # Without a connect timeout libpq waits for the server's answer forever (subprocess's
    # timeout then fails the test).
    r, took = run(tmp_path, "--db", url, *args, timeout=30)
    assert black_hole.accepted, "the client never reached the listener"
    assert r.returncode == 5, (r.returncode, r.stderr)
    assert f"cannot connect to PostgreSQL at postgres://app:***@127.0.0.1:{black_hole.port}/none" \
        in r.stderr, r.stderr
    assert "timeout" in r.stderr, r.stderr
    assert "s3cret" not in r.stderr + r.stdout
    assert 4.5 <= took < 15, took  # the 5 s default, with room for a loaded machine


def test_a_connect_timeout_in_the_url_wins_over_the_default(tmp_path, black_hole):
    url = f"postgres://app@127.0.0.1:{black_hole.port}/none?connect_timeout=2"
    r, took = run(tmp_path, "--db", url, "list", timeout=30)
    assert r.returncode == 5, (r.returncode, r.stderr)
    assert "timeout" in r.stderr, r.stderr
    assert 1.5 <= took < 4.5, took


class TableLock:
    """A psql session holding LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE in an open transaction,
    until release()."""

    def __init__(self, url):
        self.url = url
        self.proc = subprocess.Popen(["psql", url, "-v", "ON_ERROR_STOP=1", "-Aq"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.proc.stdin.write("BEGIN;\nLOCK TABLE jobs IN ACCESS EXCLUSIVE MODE;\n")
        self.proc.stdin.flush()
        wait_for(self.held, timeout=20, interval=0.1, what="psql to hold the lock on jobs")

    def held(self):
        return psql(self.url, "SELECT count(*) FROM pg_locks WHERE granted AND"
                    " mode = 'AccessExclusiveLock' AND relation = 'jobs'::regclass") == "1"

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.write("ROLLBACK;\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=20)


def test_a_locked_jobs_table_makes_ready_503_within_the_statement_timeout_and_it_recovers(
        tmp_path, pg_db):
    h = PgHypersdk(tmp_path, pg_db)
    lock = None
    try:
        h.write_config("db:\n  statement_timeout: 1s\n")
        srv = h.serve()
        wait_for(lambda: ready(srv)[0] == 200, timeout=20, what="/ready 200")
        lock = TableLock(pg_db)
        start = time.monotonic()
        status, body = ready(srv)
        took = time.monotonic() - start
        assert status == 503, body
        reach = body["checks"]["database:reachable"][0]
        assert reach["status"] == "fail", body
        assert "statement timeout" in reach["output"], reach
        assert "database:reachable" in body["output"], body
        assert 0.8 <= took < 5, took  # waited for the lock up to the 1 s statement timeout
        assert srv.request("GET", "/api/v1/health")[0] == 200  # alive, only not ready
        lock.release()
        wait_for(lambda: ready(srv)[0] == 200, timeout=30, interval=0.2,
                 what="/ready 200 once the lock is gone")
        status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
        assert status == 201, job
        wait_for(lambda: srv.api("GET", "/api/v1/jobs/" + job["id"])[2]["status"] == "succeeded",
                 timeout=30, interval=0.2, what="a job after the lock to succeed")
        assert srv.stop() == 0
    finally:
        if lock:
            lock.release()
        h.close()


def test_statement_timeout_is_validated_like_the_other_durations(tmp_path):
    (tmp_path / "hypersdk.yaml").write_text("db:\n  statement_timeout: soon\n")
    r, _ = run(tmp_path, "config", "validate")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "db.statement_timeout" in r.stderr and "soon" in r.stderr, r.stderr

"""Several serve processes on one PostgreSQL, for the test_pg_*.py files that run a cluster:
Node (one serve on its own port and HOME), the CLI against the shared database, and the
autouse fixture that kills a test's nodes before pg_db drops its database. A test module
imports `stop_nodes` for the fixture to apply."""
import json
import os
import re
import signal
import subprocess
import urllib.request

import pytest

from conftest import BIN, free_port, wait_for
from pg_support import pg_db  # noqa: F401 (stop_nodes depends on it)

RUNNING = []  # every Node started by the current test


@pytest.fixture(autouse=True)
def stop_nodes(pg_db):  # noqa: F811
    """Kills the test's serves at its end, whatever happened, before pg_db drops the database."""
    yield
    while RUNNING:
        n = RUNNING.pop()
        if n.proc.poll() is None:
            n.proc.kill()
            n.proc.wait()
        n.log.close()


class Node:
    """`hypersdk serve` on url, with the shared tmp/hypersdk.yaml and `env` on top of a clean
    environment; healthy when the constructor returns."""

    def __init__(self, tmp, url, n, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home = tmp / f"home{n}-{self.port}"
        home.mkdir()
        self.env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "LANG": "C.UTF-8", "HYPERSDK_LOG__FORMAT": "json", **(env or {})}
        self.log_path = tmp / f"serve-{self.port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([BIN, "--config", str(tmp / "hypersdk.yaml"), "--db", url,
                                      "serve", "--listen", f"127.0.0.1:{self.port}"],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        RUNNING.append(self)
        wait_for(self.healthy, timeout=30, what=f"node {n} healthy")

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited {self.proc.returncode}: {self.log_path.read_text()}")
        try:
            with urllib.request.urlopen(self.url + "/api/v1/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def metric(self, name):
        with urllib.request.urlopen(self.url + "/api/v1/metrics", timeout=5) as r:
            text = r.read().decode()
        m = re.search(rf"^{name}(?:{{}})? (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def log_lines(self, message):
        out = []
        for line in self.log_path.read_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("message", "").startswith(message):
                out.append(rec)
        return out

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def cli(tmp, url, *args):
    """The CLI on the shared database (or through --server), its stdout; it must succeed."""
    r = subprocess.run([BIN, "--config", str(tmp / "hypersdk.yaml"), "--db", url, *args],
                       env={"HOME": str(tmp), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout

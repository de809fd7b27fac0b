"""Helpers of the operations tests: a stand-in for systemd's $NOTIFY_SOCKET, the JSON log lines
of a server, and a client for a job's Server-Sent Events log stream."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request


class NotifySocket:
    """An AF_UNIX datagram socket that records what serve sends, as systemd would receive it.

    messages: [(monotonic time, {"READY": "1", ...})]. `on_message` runs on the reader
    thread as each message arrives (e.g. to probe the port at the instant of READY=1)."""

    def __init__(self, on_message=None):
        # sun_path holds 108 bytes: a short directory, not pytest's long tmp_path.
        self.dir = tempfile.mkdtemp(prefix="hsdk-notify-", dir="/tmp")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.on_message = on_message
        self.messages = []
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            if self.on_message:
                self.on_message(now, fields)
            with self.lock:
                self.messages.append((now, fields))

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def with_key(self, key, value=None):
        return [(t, m) for t, m in self.snapshot() if key in m and (value is None or m[key] == value)]

    def wait_for(self, key, value=None, after=0.0, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, m in self.with_key(key, value):
                if t >= after:
                    return t, m
            time.sleep(0.02)
        raise AssertionError(f"no {key}={value} on the notify socket; got {self.snapshot()}")

    def close(self):
        self.closed = True
        self.thread.join(timeout=2)
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def log_lines(srv):
    """The server's JSON log lines (stderr is not a TTY, so `log.format: auto` is JSON)."""
    out = []
    for line in srv.output().splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def find_log(srv, message, after_count=0):
    return [l for l in log_lines(srv)[after_count:] if l.get("message") == message]


class LogFollower:
    """GET /api/v1/jobs/{id}/logs?follow=1 on a thread: the events it received and when the
    response ended."""

    def __init__(self, srv, job_id):
        self.events = []  # (event, data as JSON)
        self.ended_at = None
        self.error = None
        self.got_line = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(srv, job_id), daemon=True)
        self.thread.start()

    def _run(self, srv, job_id):
        try:
            req = urllib.request.Request(f"{srv.url}/api/v1/jobs/{job_id}/logs?follow=1")
            with urllib.request.urlopen(req, timeout=60) as r:
                event = None
                for raw in r:
                    line = raw.decode().rstrip("\n")
                    if line.startswith("event: "):
                        event = line[len("event: "):]
                    elif line.startswith("data: ") and event:
                        self.events.append((event, json.loads(line[len("data: "):])))
                        if event == "log":
                            self.got_line.set()
                    elif line == "":
                        event = None
            self.ended_at = time.monotonic()
        except Exception as e:  # reported by the test
            self.error = e

    def join(self, timeout):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the log stream did not end"
        assert self.error is None, f"the log stream failed: {self.error!r}"

    def lines(self, stream="stdout"):
        return [d.get("line") for e, d in self.events if e == "log" and d.get("stream") == stream]

    def end(self):
        ends = [d for e, d in self.events if e == "end"]
        return ends[0] if ends else None


def metric(srv, name):
    """The value of the unlabelled sample `name` in a scrape of `srv`."""
    _, _, body = srv.request("GET", "/api/v1/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in the scrape")


def scheduler_ticks(srv):
    """hypersdk_scheduler_ticks_total of `srv`: its scheduler's completed ticks."""
    return metric(srv, "hypersdk_scheduler_ticks_total")


def wait_for_scheduler_ticks(srv, ticks=2, timeout=30):
    """Returns once `srv`'s scheduler has completed `ticks` more ticks than when called. With
    two, one whole tick began after the call, so it saw the clock and the schedules as the caller
    left them: only then does "nothing fired" mean the scheduler chose not to fire."""
    start = scheduler_ticks(srv)
    deadline = time.monotonic() + timeout
    while scheduler_ticks(srv) < start + ticks:
        assert time.monotonic() < deadline, f"the scheduler did not tick {ticks} times in {timeout} s"
        assert srv.proc.poll() is None, "serve exited: " + srv.output()
        time.sleep(0.05)


class Prometheus:
    """A real Prometheus scraping serve's /api/v1/metrics every second (with `rules`, an alert
    rules file, evaluated every second). `base` is its HTTP address; stop() ends it."""

    def __init__(self, tmp_path, srv, port, rules=None):
        cfg = tmp_path / "prometheus.yml"
        rule_lines = f"  evaluation_interval: 1s\nrule_files: [{rules}]\n" if rules else ""
        cfg.write_text(f"""global:
  scrape_interval: 1s
{rule_lines}scrape_configs:
  - job_name: hypersdk
    metrics_path: /api/v1/metrics
    static_configs:
      - targets: ["127.0.0.1:{srv.port}"]
""")
        self.log = open(tmp_path / "prometheus.log", "w")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()

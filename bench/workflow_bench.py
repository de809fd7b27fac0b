#!/usr/bin/python3
"""Workflows through the real binary: submit and run a 1,000-step workflow of noop steps (a
chain, a wide fan-out, and a fan-out joined again by one step below all 998) on `hypersdk serve --workers 4`, beside 1,000 plain noop jobs in the
same run. Usage: bench/workflow_bench.py [BUILD_DIR]. Prints one line per measurement;
bench/run.py (`make bench`) calls measure() and puts the figures in its table."""
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

N = 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(build, shapes=("chain", "fanout", "fanin"), log=print):
    """{"plain_ms": per plain job, shape: {"submit_ms", "per_step_ms", "status"}}, all from
    one serve on a fresh database."""
    BIN = str(Path(build) / "hypersdk")
    out = {}
    tmp = Path(tempfile.mkdtemp(prefix="wfbench-"))
    db, cfg = tmp / "b.db", tmp / "c.yaml"
    cfg.write_text("api:\n  rate_limit:\n    requests_per_second: 100000\n    burst: 100000\n")
    port = free_port()
    srv = subprocess.Popen([BIN, "--config", str(cfg), "--db", str(db), "serve", "--listen",
                            f"127.0.0.1:{port}", "--workers", "4"],
                           stdout=open(tmp / "serve.log", "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"

    def call(method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read())

    for _ in range(200):
        try:
            call("GET", "/health")
            break
        except OSError:
            time.sleep(0.05)
    try:
        t = time.monotonic()
        ids = [call("POST", "/jobs", {"type": "noop"})["id"] for _ in range(N)]
        while call("GET", "/jobs?status=succeeded&limit=1000")["jobs"].__len__() < N:
            time.sleep(0.1)
        plain = time.monotonic() - t
        out["plain_ms"] = plain / N * 1000
        log(f"plain: {N} noop jobs, one POST each, until all succeeded: {plain:.2f} s "
              f"({plain / N * 1000:.2f} ms/job)")
        for shape in shapes:
            steps = [{"name": "s0", "type": "noop"}]
            for i in range(1, N):
                up = f"s{i - 1}" if shape == "chain" else "s0"
                steps.append({"name": f"s{i}", "type": "noop", "depends_on": [up]})
            if shape == "fanin":  # the fan-out's 999 steps joined again by a last one
                steps[-1]["depends_on"] = [f"s{i}" for i in range(1, N - 1)]
            t = time.monotonic()
            # ?steps=summary: the answer without its 1,000 steps (the client follows the
            # status only); the full answer's cost is measured by callgrind (bench/README.md).
            w = call("POST", "/workflows?steps=summary", {"name": shape, "steps": steps})
            submit = time.monotonic() - t
            while call("GET", "/workflows/" + w["id"] + "?steps=summary")["status"] == "running":
                time.sleep(0.05)
            total = time.monotonic() - t
            status = call("GET", "/workflows/" + w["id"] + "?steps=summary")["status"]
            out[shape] = {"submit_ms": submit * 1000, "per_step_ms": total / N * 1000,
                          "status": status}
            log(f"{shape}: {N} steps, submit (one POST, ?steps=summary) "
                  f"{submit * 1000:.0f} ms; submit to {status}: {total:.2f} s "
                  f"({total / N * 1000:.2f} ms/step)")
    finally:
        srv.terminate()
        srv.wait()
    return out


if __name__ == "__main__":
    measure(Path(sys.argv[1] if len(sys.argv) > 1 else "build").resolve())

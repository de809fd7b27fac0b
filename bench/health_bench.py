#!/usr/bin/python3
"""`GET /api/v1/health` of `hypersdk serve` against nginx serving the same bytes as a static
file (issue 14 item 6), in alternating rounds so a busy spell of the machine falls on both.
Prints each round and the median ratio of requests/s, and serve's CPU seconds per 1,000
answers (from /proc, so the figure does not depend on how much CPU wrk itself got).

Usage: bench/health_bench.py [BUILD_DIR] [--seconds S] [--rounds R] [--connections C]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (wrk, _connectable)
import serve_bench  # noqa: E402


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    a = ap.parse_args()
    build = Path(a.build).resolve()
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        proc, port = serve_bench.start_serve(str(build / "hypersdk"), tmp, Path(tmp) / "h.db", 4)
        root = Path(tmp) / "www"
        root.mkdir()
        try:
            serve_bench.wait_http(port)
            import http.client
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/api/v1/health")
            (root / "health").write_bytes(c.getresponse().read())
            c.close()
            nport = serve_bench.free_port()
            conf = Path(tmp) / "nginx.conf"
            conf.write_text(f"""daemon off; worker_processes auto; pid {tmp}/nginx.pid;
error_log {tmp}/error.log; events {{ worker_connections 1024; }}
http {{ access_log off; server {{ listen 127.0.0.1:{nport}; root {root};
  location / {{ default_type application/json; }} }} }}
""")
            ng = subprocess.Popen(["nginx", "-c", str(conf), "-p", tmp],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                serve_bench.wait_until(lambda: run._connectable(nport), 10)
                for i in range(a.rounds):
                    cpu0 = cpu_seconds(proc.pid)
                    rps, p99 = run.wrk(f"http://127.0.0.1:{port}/api/v1/health", a.seconds,
                                       a.connections)
                    cpu = cpu_seconds(proc.pid) - cpu0
                    nrps, np99 = run.wrk(f"http://127.0.0.1:{nport}/health", a.seconds,
                                         a.connections)
                    ours.append(rps)
                    theirs.append(nrps)
                    print(f"round {i + 1}: health {rps:,.0f}/s p99 {p99:.2f} ms "
                          f"({1000 * cpu / max(rps * a.seconds, 1) * 1000:.1f} ms CPU per 1k); "
                          f"nginx {nrps:,.0f}/s p99 {np99:.2f} ms; ratio {rps / nrps:.2f}x",
                          flush=True)
            finally:
                ng.terminate()
                ng.wait()
        finally:
            proc.terminate()
            proc.wait()
    print(f"median: health {statistics.median(ours):,.0f}/s, nginx "
          f"{statistics.median(theirs):,.0f}/s, ratio "
          f"{statistics.median(ours) / statistics.median(theirs):.2f}x (target >= 0.5x)")


if __name__ == "__main__":
    main()

"""The shipped logrotate config (packaging/logrotate/hypersdk) run by the real logrotate while
serve writes its log file under load: every request's line ends up in exactly one file, and
after the SIGUSR1 reopen nothing more is written to the rotated file."""
import gzip
import grp
import json
import os
import pwd
import subprocess
import threading
import time
from pathlib import Path

from conftest import wait_for

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "packaging" / "logrotate" / "hypersdk"
CLIENTS = 4
ROTATIONS = 3


def logrotate_config(logs: Path, pid: int) -> str:
    """The shipped config with the directory, the user and the signal command made local."""
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    text = SHIPPED.read_text()
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("/var/log/hypersdk/"):
            line = line.replace("/var/log/hypersdk", str(logs))
        elif s == "su hypersdk hypersdk":
            line = line.replace("hypersdk hypersdk", f"{user} {group}")
        elif s.startswith("create ") and s.endswith("hypersdk hypersdk"):
            line = line.replace("hypersdk hypersdk", f"{user} {group}")
        elif s.startswith("systemctl kill"):
            assert "--signal=USR1" in s and "--kill-whom=main" in s, s
            line = f"        kill -USR1 {pid}"
        out.append(line)
    conf = "\n".join(out) + "\n"
    for needle in (str(logs), f"kill -USR1 {pid}", "sharedscripts", "postrotate", "create 0640"):
        assert needle in conf, f"the shipped logrotate config changed shape: no {needle!r}"
    assert not [l for l in conf.splitlines() if "/var/log/hypersdk" in l and not l.lstrip().startswith("#")]
    return conf


def read_lines(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        return f.read().splitlines()


def test_logrotate_while_serving_loses_nothing_and_old_file_stays_closed(h, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o750)
    log_file = logs / "hypersdk.log"
    h.write_config("log:\n  file: " + str(log_file) + "\n  format: json\n  level: info\n"
                   "api:\n  rate_limit:\n    requests_per_second: 100000\n    burst: 100000\n")
    srv = h.serve()
    conf = tmp_path / "logrotate.conf"
    conf.write_text(logrotate_config(logs, srv.proc.pid))
    conf.chmod(0o644)
    state = tmp_path / "logrotate.state"

    # Clients make sequential requests with ids "rot-<client>-<n>"; next_seq[c] is set when
    # request n-1 has been answered, so request next_seq[c] may already be on its way.
    next_seq = [0] * CLIENTS
    made = [[] for _ in range(CLIENTS)]
    stop = threading.Event()
    errors = []

    def client(c):
        try:
            while not stop.is_set():
                n = next_seq[c]
                rid = f"rot-{c}-{n}"
                status, _, _ = srv.request("GET", "/api/v1/jobs?limit=1", headers={"X-Request-ID": rid})
                assert status == 200, status
                made[c].append(rid)
                next_seq[c] = n + 1
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    # Requests a client starts after rotation r was seen to reopen (n > reopened_seq[r][c]:
    # the one numbered reopened_seq[r][c] may have been in flight) must be in a newer file.
    reopened_seq = []
    try:
        for r in range(1, ROTATIONS + 1):
            time.sleep(0.7)
            out = subprocess.run(["logrotate", "-f", "-s", str(state), str(conf)],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stdout + out.stderr

            def reopened():
                return log_file.exists() and any(
                    json.loads(l).get("message") == "log file reopened" for l in read_lines(log_file))

            wait_for(reopened, timeout=10, what=f"the reopen after rotation {r}")
            reopened_seq.append(list(next_seq))
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    assert srv.stop() == 0

    # Oldest first: .3.gz and .2.gz were compressed by later runs (delaycompress), .1 is plain.
    files = [logs / "hypersdk.log.3.gz", logs / "hypersdk.log.2.gz", logs / "hypersdk.log.1", log_file]
    assert sorted(p.name for p in logs.iterdir()) == sorted(p.name for p in files)
    seen = {}
    for index, path in enumerate(files):
        for line in read_lines(path):
            entry = json.loads(line)  # every line is whole JSON: none torn by the rotation
            rid = entry.get("http.request.id", "")
            if rid.startswith("rot-") and entry.get("message") == "http request":
                assert rid not in seen, f"{rid} logged twice ({files[seen[rid]].name}, {path.name})"
                seen[rid] = index
    requested = [rid for m in made for rid in m]
    assert len(requested) > 200, "too little load to mean anything"
    lost = set(requested) - set(seen)
    assert not lost, f"{len(lost)} request lines lost, e.g. {sorted(lost)[:5]}"
    assert len(seen) == len(requested)

    # Nothing written to a rotated file after its reopen.
    for r, seqs in enumerate(reopened_seq):
        rotated = r  # files[r] was current until rotation r+1
        for rid, index in seen.items():
            _, c, n = rid.split("-")
            if int(n) > seqs[int(c)]:
                assert index > rotated, f"{rid} started after reopen {r + 1} but is in {files[index].name}"
    # Each file after the first begins after a reopen and holds the marker.
    for path in files[1:]:
        assert any(json.loads(l).get("message") == "log file reopened" for l in read_lines(path)), path

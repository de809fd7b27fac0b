"""Which path a CLI command takes (issue 8): a running server registered in the database, the
database directly when none is alive, `--local` to force it; read commands never create a
database; the smaller operator items (health on 503, 429 waits, dlq purge asking, logs'
exit status, a waiting job's window, unknown schedule types)."""
import json
import os
import pty
import pwd
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import BIN, Hypersdk, wait_for

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}


def registry(h):
    with sqlite3.connect(h.db) as c:
        return c.execute("SELECT address, pid, host, version, heartbeat FROM servers").fetchall()


def test_cli_uses_the_running_server_then_the_database_when_it_stops(h):
    # The README's example: exec enabled for the server only, not for the CLI.
    srv = h.serve(env=EXEC_ON)
    r = h.run("--verbose", "submit", "--type", "exec", "--", "/bin/true")
    assert r.returncode == 0, r.stderr
    assert f"using the server at {srv.url}" in r.stderr
    job_id = r.stdout.strip()
    wait_for(lambda: h.json("query", "--id", job_id)["status"] == "succeeded", what="job done")

    # --local: the database, with the CLI's own config (exec off here).
    r = h.run("--local", "--verbose", "submit", "--type", "exec", "--", "/bin/true")
    assert r.returncode == 2
    assert "directly (--local)" in r.stderr and "exec jobs are disabled" in r.stderr

    assert srv.stop() == 0
    assert registry(h) == []  # a clean stop deregisters
    r = h.run("--verbose", "submit", "--type", "noop")
    assert r.returncode == 0, r.stderr
    assert f"working on the database {h.db} directly" in r.stderr


def test_serve_registers_address_pid_version_and_heartbeats(h):
    srv = h.serve()
    [(address, pid, host, version, beat)] = registry(h)
    assert address == srv.url and pid == srv.proc.pid and host == os.uname().nodename
    assert version == h.run("version", check=True).stdout.split()[1]
    assert abs(beat / 1000 - time.time()) < 10
    # The heartbeat moves on (every 5 s).
    wait_for(lambda: registry(h)[0][4] > beat, timeout=15, what="a newer heartbeat")


def test_a_killed_server_is_not_used(h):
    srv = h.serve()
    srv.kill()  # SIGKILL: its row stays, with a fresh heartbeat
    assert len(registry(h)) == 1
    r = h.run("--verbose", "list")
    assert r.returncode == 0, r.stderr
    assert "directly" in r.stderr and srv.url in r.stderr and f"(pid {srv.proc.pid}) is gone" in r.stderr
    # A server on this address that is not the registered process is not used either.
    other = h.serve(port=srv.port)
    with sqlite3.connect(h.db) as c:
        c.execute("DELETE FROM servers WHERE pid = ?", (other.proc.pid,))
    r = h.run("--verbose", "list")
    assert r.returncode == 0 and "is gone" in r.stderr and "using the server" not in r.stderr, r.stderr


def test_read_commands_never_create_a_database(tmp_path):
    h = Hypersdk(tmp_path, create_db=False)
    for args in (["list", "--status=failed"], ["query", "--id", "j-1"], ["dlq", "list"],
                 ["schedule", "list"], ["db", "check"], ["submit", "--type", "noop"]):
        r = h.run(*args)
        assert r.returncode == 3, (args, r.returncode, r.stderr)
        assert f"no database at {h.db}" in r.stderr
        assert "hypersdk db migrate" in r.stderr
    assert not h.db.exists() and not list(tmp_path.glob("*.db*"))

    # Without --db, as a user who is not root: the default path under HOME, which `config show`
    # prints instead of an empty default, and which `list` names without creating it (nor
    # its directory, though HOME is writable).
    user = pwd.getpwnam("nobody")
    home = Path(tempfile.mkdtemp(prefix="hypersdk-nobody-"))
    try:
        os.chmod(home, 0o755)
        os.chown(home, user.pw_uid, user.pw_gid)
        (home / "config.yaml").write_text("")
        env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        as_user = dict(env=env, cwd=home, user=user.pw_uid, group=user.pw_gid, capture_output=True, text=True)
        default = home / ".local/share/hypersdk/hypersdk.db"
        r = subprocess.run([BIN, "--config", str(home / "config.yaml"), "config", "show"], **as_user)
        assert r.returncode == 0, r.stderr
        [line] = [l for l in r.stdout.splitlines() if l.startswith("db.path")]
        assert str(default) in line
        r = subprocess.run([BIN, "--config", str(home / "config.yaml"), "list", "--status=failed"], **as_user)
        assert r.returncode == 3 and f"no database at {default}" in r.stderr, r.stderr
        assert not (home / ".local").exists()
    finally:
        shutil.rmtree(home)

    # Only db migrate (and serve) create it.
    h.run("db", "migrate", check=True)
    assert h.db.exists()
    assert h.run("list").returncode == 0


def test_job_lifecycle_lines_follow_a_job_to_the_dead_letter_table(h):
    h.write_config("retry:\n  base: 100ms\n  cap: 200ms\n")
    srv = h.serve(env=EXEC_ON)
    status, hdrs, job = srv.api("POST", "/api/v1/jobs", {
        "type": "exec", "max_retries": 2, "payload": {"argv": ["/bin/sh", "-c", "exit 75"]}},
        headers={"X-Request-ID": "req-lifecycle-1"})
    assert status == 201, job
    job_id = job["id"]
    wait_for(lambda: h.json("query", "--id", job_id)["status"] == "failed", what="job to fail for good")

    def lines():
        out = []
        for l in srv.output().splitlines():
            if l.startswith("{"):
                rec = json.loads(l)
                if rec.get("job.id") == job_id:
                    out.append(rec)
        return out

    recs = wait_for(lambda: (lambda r: r if any(x["message"] == "job dead-lettered" for x in r) else None)(lines()),
                    what="the dead-letter line")
    msgs = [r["message"] for r in recs]
    # The queued line is written by the request's thread right after the commit, so a worker
    # may log the start first; every later line is in order.
    assert msgs.count("job queued") == 1, msgs
    assert [m for m in msgs if m != "job queued"] == [
        "job started", "job failed; retrying", "job started", "job failed; retrying", "job started",
        "job failed", "job dead-lettered"], msgs
    [queued] = [r for r in recs if r["message"] == "job queued"]
    assert queued["request.id"] == "req-lifecycle-1"
    assert all(r["job.type"] == "exec" for r in recs)
    levels = {r["message"]: r["log.level"] for r in recs}
    assert levels == {"job queued": "info", "job started": "info", "job failed; retrying": "warn",
                      "job failed": "error", "job dead-lettered": "error"}
    retrying = [r for r in recs if r["message"] == "job failed; retrying"]
    assert [r["next_attempt"] for r in retrying] == [2, 3]
    assert all(r["error.class"] == "transient" and "retry_at_ms" in r for r in retrying)
    started = [r for r in recs if r["message"] == "job started"]
    assert [r["attempt"] for r in started] == [1, 2, 3] and all(r["worker"] for r in started)
    assert recs[-1]["reason"] == "retries_exhausted"


def test_scheduled_runs_carry_the_schedule_name(h):
    srv = h.serve()
    h.run("schedule", "create", "--name", "tick", "--cron", "@hourly", "--type", "noop", check=True)
    r = h.run("schedule", "run", "--name", "tick", check=True)
    job_id = [w for w in r.stdout.split() if w.startswith("j-")][0]

    def started():
        for l in srv.output().splitlines():
            if l.startswith("{"):
                rec = json.loads(l)
                if rec.get("job.id") == job_id and rec["message"] == "job succeeded":
                    return rec
        return None

    rec = wait_for(started, what="the succeeded line")
    assert rec["schedule.name"] == "tick" and rec["duration_ms"] >= 0


def test_journald_stream_gets_syslog_priorities(h):
    """What journald would read from our stderr: with JOURNAL_STREAM naming that stream, each
    line starts with <N> (sd-daemon(3)); a reader strips it and files the line under N."""
    busy = h.serve()  # holds a port, so the second serve's API cannot start: an error line
    clock = h.tmp / "clock"
    clock.write_text("2030-01-01T00:00:00Z\n")

    def run_serve(journal):
        err_path = h.tmp / f"stderr-{journal}"
        with open(err_path, "w") as err:
            st = os.fstat(err.fileno())
            env = {**h.env}
            if journal:
                env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
            else:  # names some other file: not ours, so no prefix
                env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino + 1}"
            r = subprocess.run([BIN, "--config", str(h.config), "--db", str(h.db), "serve",
                                "--listen", f"127.0.0.1:{busy.port}", "--test-clock-file", str(clock)],
                               env=env, stdout=subprocess.DEVNULL, stderr=err, timeout=60)
        assert r.returncode != 0
        return err_path.read_text().splitlines()

    def journal_read(line):
        if len(line) > 3 and line[0] == "<" and line[2] == ">" and line[1].isdigit():
            return int(line[1]), line[3:]
        return 6, line  # journald's default: info

    entries = [journal_read(l) for l in run_serve(True) if l.strip()]
    by_message = {json.loads(text)["message"]: prio for prio, text in entries if text.startswith("{")}
    assert by_message["using a test clock: time comes from a file"] == 4
    assert by_message["cannot start the API"] == 3
    # The exit reason, written outside the logger, is an error too.
    [(prio, text)] = [e for e in entries if not e[1].startswith("{")]
    assert prio == 3 and text.startswith("hypersdk: error: cannot listen on")
    # Nothing but the prefix is added: every line still starts as before.
    assert all(text.startswith("{") or text.startswith("hypersdk: error:") for _, text in entries)
    # Not journald's stream (redirected elsewhere): no prefix on any line.
    plain = [l for l in run_serve(False) if l.strip()]
    assert plain and all(l.startswith("{") or l.startswith("hypersdk: error:") for l in plain)


def test_health_prints_the_failing_check_on_503(h):
    h.write_config("workers:\n  shutdown_grace: 30s\n")
    srv = h.serve(env=EXEC_ON)
    job_id = h.submit("--type", "exec", "--", "/bin/sleep", "20")
    wait_for(lambda: h.json("query", "--id", job_id)["status"] == "running", what="running")
    srv.signal(signal.SIGTERM)  # draining: /ready answers 503 while the job gets its grace
    wait_for(lambda: srv.request("GET", "/api/v1/ready")[0] == 503, what="503 from /ready")
    r = h.run("--server", srv.url, "health")
    assert r.returncode == 8, r.stdout + r.stderr
    assert "readiness: fail (HTTP 503)" in r.stdout
    assert "draining: fail - shutting down" in r.stdout
    h.run("cancel", "--id", job_id)


def test_cli_waits_out_retry_after_on_429(h):
    h.write_config("api:\n  rate_limit:\n    requests_per_second: 1\n    burst: 1\n")
    h.serve()
    # The first command spends the one token (health checks are not limited); the second
    # one's request gets 429 with Retry-After: 1 and is sent again after it.
    assert h.run("list").returncode == 0
    start = time.monotonic()
    r = h.run("--verbose", "list")
    assert r.returncode == 0, r.stderr
    assert "using the server" in r.stderr and "rate limiting this client; retrying in 1 s" in r.stderr
    assert time.monotonic() - start >= 0.9


def test_schedule_create_rejects_an_unknown_type_as_submit_does(h):
    r = h.run("schedule", "create", "--name", "x", "--cron", "@daily", "--type", "foo")
    assert r.returncode == 2
    assert "unknown job type 'foo'" in r.stderr
    assert h.run("submit", "--type", "foo").stderr.count("unknown job type 'foo'") == 1
    srv = h.serve()
    status, _, body = srv.api("POST", "/api/v1/schedules", {"name": "x", "cron": "@daily", "type": "foo"})
    assert status == 400 and "unknown job type 'foo'" in body["error"]["message"]


def test_dlq_purge_all_asks_on_a_terminal(h):
    h.write_config("retry:\n  max_retries: 0\n")
    srv = h.serve(env=EXEC_ON)
    job_id = h.submit("--type", "exec", "--", "/bin/false")
    wait_for(lambda: len(h.json("dlq", "list")) == 1, what="a dead letter")
    srv.stop()

    def purge_on_a_terminal(*extra, answer):
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([BIN, "--config", str(h.config), "--db", str(h.db), "dlq", "purge", "--all",
                                  *extra], env=h.env, stdin=slave, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            os.write(master, answer.encode())
            out, err = p.communicate(timeout=30)
            return p.returncode, out
        finally:
            os.close(master)
            os.close(slave)

    code, out = purge_on_a_terminal(answer="n\n")
    assert code == 1 and "Purge 1 dead letter(s)?" in out and "nothing purged" in out
    assert len(h.json("dlq", "list")) == 1
    code, out = purge_on_a_terminal("--yes", answer="")
    assert code == 0 and "?" not in out and "purged 1" in out
    assert h.json("dlq", "list") == [] and h.json("query", "--id", job_id)["status"] == "failed"


def test_logs_end_with_the_exit_status(h):
    h.write_config("retry:\n  max_retries: 0\n")
    h.serve(env=EXEC_ON)
    ok = h.submit("--type", "exec", "--", "/bin/sh", "-c", "echo hello")
    bad = h.submit("--type", "exec", "--", "/bin/sh", "-c", "exit 3")
    for job_id in (ok, bad):
        wait_for(lambda: h.json("query", "--id", job_id)["status"] in ("succeeded", "failed"), what="done")
    out = h.run("logs", "--id", ok, check=True).stdout.splitlines()
    assert any(l.endswith(" hello") for l in out) and out[-1].endswith("[end] exit status 0 (succeeded)")
    out = h.run("logs", "--id", bad, check=True).stdout.splitlines()
    assert out[-1].endswith("[end] failed: command exited with status 3"), out


def test_query_says_which_window_a_waiting_job_waits_for(h):
    now = time.gmtime()
    opens = (now.tm_hour + 2) % 24
    window = f"{opens:02d}:00-{(opens + 1) % 24:02d}:00"
    job_id = h.submit("--type", "noop", "--window", window, "--timezone", "UTC")
    assert h.json("query", "--id", job_id)["status"] == "waiting"
    out = h.run("query", "--id", job_id, check=True).stdout
    [line] = [l for l in out.splitlines() if l.startswith("waiting for:")]
    assert f"window {window} (UTC)" in line and "opens" in line


def test_upgrade_check_names_the_backup_to_restore(h):
    backup = h.db.parent / (h.db.name + ".backup-v2-20260101T000000Z")
    older = h.db.parent / (h.db.name + ".backup-v1-20250101T000000Z")
    for b in (older, backup):
        b.write_bytes(h.db.read_bytes())
    with sqlite3.connect(h.db) as c:
        c.execute("PRAGMA user_version=999")
    r = h.run("upgrade", "check")
    assert r.returncode == 1
    assert f"the backup to restore is {backup}" in r.stdout
    r = h.run("list")
    assert r.returncode == 4 and f"the backup to restore is {backup}" in r.stderr


def test_logrotate_is_weekly_with_a_size_cap(tmp_path):
    """The shipped policy run by the real logrotate, without -f: a file rotated today is left
    alone until a week has passed, unless it has grown past 100M."""
    from test_ops_logrotate import logrotate_config
    logs = tmp_path / "logs"
    bystander = subprocess.Popen(["sleep", "60"])  # receives the postrotate SIGUSR1
    try:
        logs.mkdir(mode=0o750)
        conf = tmp_path / "logrotate.conf"
        conf.write_text(logrotate_config(logs, bystander.pid))
        conf.chmod(0o644)
        lines = [l.strip() for l in conf.read_text().splitlines()]
        assert "weekly" in lines and "maxsize 100M" in lines
        log = logs / "hypersdk.log"
        state = tmp_path / "logrotate.state"

        def rotate(size, last_rotated):
            with open(log, "wb") as f:
                f.truncate(size)  # sparse: only the size matters to logrotate
            state.write_text(f'logrotate state -- version 2\n"{log}" {last_rotated}\n')
            r = subprocess.run(["logrotate", "-s", str(state), str(conf)], capture_output=True, text=True,
                               timeout=120)
            assert r.returncode == 0, r.stdout + r.stderr
            rotated = (logs / "hypersdk.log.1").exists()
            for old in logs.glob("hypersdk.log.*"):
                old.unlink()
            return rotated

        today = time.strftime("%Y-%m-%d-%H:%M:%S", time.localtime())
        eight_days_ago = time.strftime("%Y-%m-%d-%H:%M:%S", time.localtime(time.time() - 8 * 86400))
        assert not rotate(1000, today)
        assert rotate(101 * 1024 * 1024, today)
        assert rotate(1000, eight_days_ago)
    finally:
        bystander.kill()
        bystander.wait()


def test_query_says_which_holiday_a_waiting_job_waits_out(h):
    from conftest import FakeClock
    h.write_config("holidays:\n  company:\n    dates: [2025-06-09, 2025-07-04]\n")
    FakeClock(h, "2025-06-07T14:00:00-05:00")  # Saturday; Monday the 9th is a holiday
    job_id = h.submit("--type", "noop", "--window", "22:00-06:00", "--days", "mon-fri",
                      "--holidays", "company", "--timezone", "America/Chicago")
    out = h.run("query", "--id", job_id, check=True).stdout
    [line] = [l for l in out.splitlines() if l.startswith("waiting for:")]
    assert "window 22:00-06:00 on mon-fri (America/Chicago), not on holidays of company" in line
    assert "holiday 2025-06-09 (company)" in line and "2025-07-04" not in line

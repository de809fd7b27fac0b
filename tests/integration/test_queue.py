"""The durable queue end to end through the real binary: exec jobs, retries with backoff,
the dead-letter queue, crash recovery and the CLI working straight on the database."""
import signal
import time

from conftest import wait_for

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}
NO_RATE_LIMIT = "api:\n  rate_limit:\n    requests_per_second: 100000\n    burst: 100000\n"


def statuses(h):
    jobs = h.json("list", "--limit", "1000")
    return {j["id"]: j for j in jobs}


def test_thousand_true_jobs_each_succeed_exactly_once(h, tmp_path):
    marker = tmp_path / "runs"
    marker.mkdir()
    h.write_config(NO_RATE_LIMIT)
    h.env.update(EXEC_ON)
    srv = h.serve("--workers", "8")
    ids = []
    for i in range(1000):
        status, _, job = srv.api("POST", "/api/v1/jobs", {
            "type": "exec",
            "payload": {"argv": ["/bin/sh", "-c", f"echo $HYPERSDK_JOB_ID >> {marker}/$HYPERSDK_JOB_ID"]},
        })
        assert status == 201, job
        ids.append(job["id"])

    def all_done():
        jobs = h.json("list", "--limit", "1000")
        return len(jobs) == 1000 and all(j["status"] == "succeeded" for j in jobs)

    wait_for(all_done, timeout=180, interval=0.5, what="1000 jobs to succeed")
    # Exactly once: one marker file per job, each with one line.
    files = list(marker.iterdir())
    assert len(files) == 1000
    assert all(f.read_text().count("\n") == 1 for f in files)
    assert sorted(f.name for f in files) == sorted(ids)
    assert srv.stop() == 0


def test_exit_75_retries_three_times_then_dead_letters_and_replays(h):
    h.write_config("retry:\n  base: 1s\n  cap: 8s\n")
    h.env.update(EXEC_ON)
    srv = h.serve()
    job_id = h.submit("--type", "exec", "--", "/bin/sh", "-c", "echo attempt $HYPERSDK_JOB_ATTEMPT; exit 75")

    def failed():
        j = h.json("query", "--id", job_id)
        return j if j["status"] == "failed" else None

    job = wait_for(failed, timeout=60, interval=0.2, what="job to fail for good")
    assert job["attempt"] == 4
    assert job["error"]["class"] == "transient"
    history = job["errors"]
    assert [e["attempt"] for e in history] == [1, 2, 3, 4]
    # Growing, jittered delays: retry n waits within [d/2, d] for d = 1s * 2^(n-1).
    times = [time.strptime(e["at"][:19], "%Y-%m-%dT%H:%M:%S") for e in history]
    gaps = [time.mktime(b) - time.mktime(a) for a, b in zip(times, times[1:])]
    assert gaps[0] <= gaps[2], gaps
    assert 0 <= gaps[0] <= 2 and 1 <= gaps[1] <= 3 and 2 <= gaps[2] <= 5, gaps

    failed_list = h.json("list", "--status=failed")
    assert [j["id"] for j in failed_list] == [job_id]
    letters = h.json("dlq", "list")
    assert letters[0]["id"] == job_id
    assert letters[0]["dead_letter"]["reason"] == "retries_exhausted"
    assert len(letters[0]["errors"]) == 4
    text = h.run("list", "--status=failed", check=True).stdout
    assert job_id in text and "transient" in text

    logs = h.run("logs", "--id", job_id, check=True).stdout
    assert "attempt 1" in logs and "attempt 4" in logs

    # Replay runs it again (and it fails again the same way, counting from 1).
    h.run("dlq", "replay", "--id", job_id, check=True)
    assert h.json("dlq", "list") == []
    wait_for(lambda: h.json("query", "--id", job_id)["attempt"] >= 1 and
             any(e["attempt"] == 1 and e != history[0] for e in h.json("query", "--id", job_id)["errors"]),
             timeout=30, what="replayed attempt")
    srv.stop()


def test_kill_9_during_twenty_sleeps_loses_nothing(h):
    h.write_config("workers:\n  count: 20\n  lease_ttl: 5s\n")
    h.env.update(EXEC_ON)
    srv = h.serve()
    # Submitted over the API so all twenty are queued well inside one sleep, even when the
    # binary runs under ASan (one CLI process per submit would take longer than the sleep).
    body = {"type": "exec", "payload": {"argv": ["sleep", "8"]}}
    ids = []
    for _ in range(20):
        status, _, job = srv.api("POST", "/api/v1/jobs", body)
        assert status == 201, job
        ids.append(job["id"])
    wait_for(lambda: sum(j["status"] == "running" for j in statuses(h).values()) == 20,
             timeout=30, what="20 running jobs")
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    # While the server is down, the CLI still answers from the database: the jobs it held are
    # still leased to the dead process.
    down = statuses(h)
    assert sum(down[i]["status"] == "running" for i in ids) >= 15, down
    h.env.update(EXEC_ON)
    srv2 = h.serve()

    def all_succeeded():
        s = statuses(h)
        return all(s[i]["status"] == "succeeded" for i in ids)

    wait_for(all_succeeded, timeout=60, interval=0.3, what="all jobs to succeed after restart")
    assert not [j for j in statuses(h).values() if j["status"] == "running"]
    srv2.stop()
    check = h.run("db", "check", check=True)
    assert "intact" in check.stdout


def test_cli_answers_while_serve_is_stopped_and_while_busy(h):
    h.write_config(NO_RATE_LIMIT)
    h.env.update(EXEC_ON)
    srv = h.serve()
    job_id = h.submit("--type", "exec", "--", "/bin/sh", "-c", "echo hello; echo oops >&2")
    wait_for(lambda: h.json("query", "--id", job_id)["status"] == "succeeded", what="job done")
    # Busy: a burst of submits through the API while the CLI reads.
    for _ in range(200):
        assert srv.api("POST", "/api/v1/jobs", {"type": "noop"})[0] == 201
    for _ in range(5):
        assert h.json("query", "--id", job_id)["status"] == "succeeded"
        assert h.run("list", "--limit", "5", check=True).returncode == 0
        assert "hello" in h.run("logs", "--id", job_id, check=True).stdout
    srv.stop()
    # Stopped.
    assert h.json("query", "--id", job_id)["status"] == "succeeded"
    out = h.run("logs", "--id", job_id, check=True).stdout
    assert "hello" in out and "[stderr] oops" in out
    assert len(h.json("list", "--limit", "1000")) == 201


def test_cli_enqueue_is_noticed_quickly(h):
    srv = h.serve()
    t0 = time.monotonic()
    job_id = h.submit("--type", "noop")
    wait_for(lambda: h.json("query", "--id", job_id)["status"] == "succeeded", timeout=5,
             interval=0.02, what="noop job")
    assert time.monotonic() - t0 < 2.0
    srv.stop()


def test_cancel_reaches_a_running_exec_job(h):
    h.env.update(EXEC_ON)
    srv = h.serve()
    job_id = h.submit("--type", "exec", "--", "sleep", "60")
    wait_for(lambda: h.json("query", "--id", job_id)["status"] == "running", what="running")
    r = h.run("cancel", "--id", job_id, check=True)
    assert "cancellation requested" in r.stdout
    job = wait_for(lambda: (lambda j: j if j["status"] == "cancelled" else None)(h.json("query", "--id", job_id)),
                   timeout=15, what="cancelled")
    assert job["error"]["class"] == "cancelled"
    # Cancelling a finished job is a conflict, with its own exit code.
    again = h.run("cancel", "--id", job_id)
    assert again.returncode == 4 and "already finished" in again.stderr
    srv.stop()


def test_timeout_kills_the_command(h):
    h.env.update(EXEC_ON)
    srv = h.serve()
    job_id = h.submit("--type", "exec", "--timeout", "1s", "--retry-max", "0", "--", "sleep", "30")
    job = wait_for(lambda: (lambda j: j if j["status"] == "failed" else None)(h.json("query", "--id", job_id)),
                   timeout=20, what="timed out job")
    assert job["error"]["class"] == "timeout"
    srv.stop()


def test_a_background_process_left_by_the_command_does_not_hold_the_job(h):
    h.env.update(EXEC_ON)
    srv = h.serve()
    # `sleep 20 &` inherits the command's stdout: the job still ends when the shell does.
    job_id = h.submit("--type", "exec", "--timeout", "15s", "--retry-max", "0", "--",
                      "/bin/sh", "-c", "echo before; sleep 20 & echo after")
    job = wait_for(lambda: (lambda j: j if j["status"] in ("succeeded", "failed") else None)(
        h.json("query", "--id", job_id)), timeout=10, what="the job to end with its command")
    assert job["status"] == "succeeded", job
    logs = h.run("logs", "--id", job_id, check=True).stdout
    assert "before" in logs and "after" in logs
    assert "still holds its output" in logs
    srv.stop()


def test_exec_is_refused_unless_enabled(h):
    r = h.run("submit", "--type", "exec", "--", "true")
    assert r.returncode == 2
    assert "jobs.exec.enabled" in r.stderr
    assert h.json("list") == []

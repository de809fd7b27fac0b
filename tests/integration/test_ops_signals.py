"""serve under a supervisor: the systemd notify protocol on a socket of the test's own
($NOTIFY_SOCKET), the watchdog rate, SIGHUP reloads (good and broken configs) and the
SIGTERM drain with a live HTTP stream and running exec jobs."""
import signal
import socket
import statistics
import time

from conftest import free_port, wait_for
from ops_support import LogFollower, NotifySocket, find_log, log_lines, metric

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}


def test_notify_socket_gets_ready_watchdog_reloading_and_stopping(h):
    port = free_port()
    bound_at_ready = []

    def probe(_, msg):
        # At the instant READY=1 arrives the API must already accept connections.
        if msg.get("READY") == "1" and not bound_at_ready:
            with socket.socket() as s:
                bound_at_ready.append(s.connect_ex(("127.0.0.1", port)) == 0)

    ns = NotifySocket(on_message=probe)
    try:
        srv = h.serve(port=port, env={"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "1000000"})
        t_ready, ready = ns.wait_for("READY", "1")
        assert bound_at_ready == [True]
        assert ready["STATUS"].startswith("serving on 127.0.0.1:")

        # WATCHDOG=1 at half of WATCHDOG_USEC: every 0.5 s.
        time.sleep(3.2)
        pings = [t for t, m in ns.with_key("WATCHDOG", "1")]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert 6 <= len(pings) <= 9, pings
        assert 0.4 <= statistics.median(gaps) <= 0.6, gaps
        assert max(gaps) < 1.0, gaps  # never a gap systemd would act on

        # SIGHUP: RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants), then READY=1.
        t0 = time.monotonic()
        srv.signal(signal.SIGHUP)
        t_reloading, reloading = ns.wait_for("RELOADING", "1", after=t0)
        usec = int(reloading["MONOTONIC_USEC"])
        assert abs(usec / 1e6 - time.clock_gettime(time.CLOCK_MONOTONIC)) < 5
        t_ready2, _ = ns.wait_for("READY", "1", after=t_reloading)
        assert t_ready2 >= t_reloading

        # SIGTERM: STOPPING=1, then a clean exit.
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        _, stopping = ns.wait_for("STOPPING", "1", after=t0)
        assert "STATUS" in stopping
        assert srv.proc.wait(timeout=30) == 0
    finally:
        ns.close()


def test_watchdog_stays_off_for_another_pid_or_without_usec(h):
    """Beside the two servers that must not ping runs a control whose watchdog is on (a ping
    every 0.5 s). Only once the control has pinged three times after both were ready is their
    silence evidence: a sleep alone would also pass while a slow server had not pinged yet."""
    other_pid, no_usec, control = NotifySocket(), NotifySocket(), NotifySocket()
    try:
        servers = [
            h.serve(env={"NOTIFY_SOCKET": other_pid.path, "WATCHDOG_USEC": "1000000",
                         "WATCHDOG_PID": "1"}),
            h.serve(env={"NOTIFY_SOCKET": no_usec.path}),
            h.serve(env={"NOTIFY_SOCKET": control.path, "WATCHDOG_USEC": "1000000"}),
        ]
        ready = max(ns.wait_for("READY", "1")[0] for ns in (other_pid, no_usec, control))
        wait_for(lambda: len([t for t, _ in control.with_key("WATCHDOG", "1") if t >= ready]) >= 3,
                 timeout=20, what="three watchdog pings from the control server")
        assert not other_pid.with_key("WATCHDOG"), "pinged although WATCHDOG_PID names another process"
        assert not no_usec.with_key("WATCHDOG"), "pinged without WATCHDOG_USEC"
        assert [s.stop() for s in servers] == [0, 0, 0]
    finally:
        for ns in (other_pid, no_usec, control):
            ns.close()


def test_sighup_with_a_broken_config_keeps_the_old_one_and_says_why(h):
    h.write_config("log:\n  level: info\n")
    srv = h.serve()
    assert metric(srv, "hypersdk_config_last_reload_successful") == 1
    loaded_at = metric(srv, "hypersdk_config_last_reload_success_timestamp_seconds")

    # A debug level together with an invalid value: all or nothing, so not even the level.
    h.write_config("log:\n  level: debug\nworkers:\n  count: many\n")
    srv.signal(signal.SIGHUP)
    failed = wait_for(lambda: find_log(srv, "config reload failed; keeping the previous configuration"),
                      what="the reload failure to be logged")[0]
    assert failed["log.level"] == "error"
    assert f"{h.config}:4" in failed["error"] and "count" in failed["error"], failed
    assert metric(srv, "hypersdk_config_last_reload_successful") == 0
    assert metric(srv, "hypersdk_config_last_reload_success_timestamp_seconds") == loaded_at
    # Still serving, with the old configuration (level info: no debug lines).
    status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
    assert status == 201
    wait_for(lambda: srv.api("GET", f"/api/v1/jobs/{job['id']}")[2]["status"] == "succeeded",
             what="a job to run on the old config")
    assert srv.api("GET", "/api/v1/health")[0] == 200
    assert not [l for l in log_lines(srv) if l["log.level"] == "debug"]

    # Fixed: the new level takes effect at once.
    h.write_config("log:\n  level: debug\n")
    mark = len(log_lines(srv))
    srv.signal(signal.SIGHUP)
    done = wait_for(lambda: find_log(srv, "configuration reloaded", mark), what="reload")[0]
    assert done["log.level"] == "info" and done["file"] == str(h.config)
    assert metric(srv, "hypersdk_config_last_reload_successful") == 1
    assert metric(srv, "hypersdk_config_last_reload_success_timestamp_seconds") > loaded_at
    srv.request("GET", "/api/v1/health", headers={"X-Request-ID": "probe-after-reload"})
    debug = wait_for(lambda: [l for l in log_lines(srv)[mark:] if l["log.level"] == "debug"
                              and l.get("http.request.id") == "probe-after-reload"],
                     what="a debug line after the reload")
    assert debug[0]["http.route"] == "/api/v1/health"
    assert srv.stop() == 0


def test_sighup_reports_keys_that_need_a_restart(h):
    h.write_config("workers:\n  lease_ttl: 30s\n")
    srv = h.serve()
    h.write_config("workers:\n  lease_ttl: 40s\n  count: 3\nlog:\n  level: warn\n")
    srv.signal(signal.SIGHUP)
    warn = wait_for(lambda: find_log(srv, "configuration reloaded; some changes need a restart"),
                    what="the restart-needed warning")[0]
    assert warn["restart_needed"] == "workers.lease_ttl"
    assert srv.stop() == 0


def test_sighup_grows_and_shrinks_the_worker_pool_without_interrupting_jobs(h):
    h.write_config("workers:\n  count: 1\n")
    h.env.update(EXEC_ON)
    srv = h.serve()
    running = lambda: [j for j in h.json("list", "--limit", "100") if j["status"] == "running"]
    ids = [srv.api("POST", "/api/v1/jobs", {"type": "exec", "payload": {"argv": ["sleep", "8"]}})[2]["id"]
           for _ in range(4)]
    wait_for(lambda: len(running()) == 1, what="one running job")
    time.sleep(0.5)
    assert len(running()) == 1

    # Grow: three more workers start and take the queued jobs at once.
    h.write_config("workers:\n  count: 4\n")
    srv.signal(signal.SIGHUP)
    wait_for(lambda: len(running()) == 4, timeout=5, what="four running jobs after growing")

    # Shrink while all four run: none is interrupted, and afterwards one job runs at a time.
    h.write_config("workers:\n  count: 1\n")
    mark = len(log_lines(srv))
    srv.signal(signal.SIGHUP)
    done = wait_for(lambda: find_log(srv, "configuration reloaded", mark), what="reload")[0]
    assert "restart_needed" not in done
    later = [srv.api("POST", "/api/v1/jobs", {"type": "exec", "payload": {"argv": ["sleep", "1"]}})[2]["id"]
             for _ in range(3)]
    jobs = lambda which: [h.json("query", "--id", i) for i in which]
    wait_for(lambda: all(j["status"] == "succeeded" for j in jobs(ids + later)), timeout=40,
             what="all jobs to finish")
    assert all(j["attempt"] == 1 for j in jobs(ids)), jobs(ids)
    # One worker: each later job started only after the one before it had finished (a job is
    # claimed only once the previous completion is written, so the times cannot overlap).
    runs = sorted((j["started_at"], j["finished_at"]) for j in jobs(later))
    for (_, finished), (started, _) in zip(runs, runs[1:]):
        assert started >= finished, runs
    assert srv.stop() == 0


def tokens_config(*pairs, rate=100):
    lines = [f"api:\n  rate_limit:\n    requests_per_second: {rate}\n    burst: {rate}\n  tokens:"]
    for name, secret in pairs:
        lines.append(f"    - name: {name}\n      token: {secret}\n      role: admin")
    return "\n".join(lines) + "\n"


def test_sighup_rotates_tokens_and_rate_limits_without_a_restart(h):
    h.write_config(tokens_config(("ops", "old-secret-1234")))
    srv = h.serve()
    bearer = lambda t: {"Authorization": f"Bearer {t}"}
    assert srv.api("GET", "/api/v1/jobs", headers=bearer("old-secret-1234"))[0] == 200
    assert srv.api("GET", "/api/v1/jobs", headers=bearer("new-secret-5678"))[0] == 401

    # Rotate: the new token works at once, the old one no longer does; nothing needs a restart.
    h.write_config(tokens_config(("ops", "new-secret-5678"), rate=1))
    mark = len(log_lines(srv))
    srv.signal(signal.SIGHUP)
    done = wait_for(lambda: find_log(srv, "configuration reloaded", mark), what="reload")[0]
    assert "restart_needed" not in done
    assert not find_log(srv, "configuration reloaded; some changes need a restart", mark)
    assert srv.api("GET", "/api/v1/jobs", headers=bearer("new-secret-5678"))[0] == 200
    assert srv.api("GET", "/api/v1/jobs", headers=bearer("old-secret-1234"))[0] == 401
    # The new limit (1 per second, bursts of 1) holds for the next requests.
    codes = [srv.api("GET", "/api/v1/jobs", headers=bearer("new-secret-5678"))[0] for _ in range(8)]
    assert 429 in codes, codes
    assert not [l for l in log_lines(srv) if "new-secret-5678" in str(l) or "old-secret" in str(l)]
    assert srv.stop() == 0


def test_sighup_refuses_to_leave_a_remote_listener_without_tokens(h):
    h.write_config(tokens_config(("ops", "remote-secret-1")))
    srv = h.serve(host="0.0.0.0")
    h.write_config("api:\n  tokens: []\n")
    srv.signal(signal.SIGHUP)
    failed = wait_for(lambda: find_log(srv, "config reload failed; keeping the previous configuration"),
                      what="the refused reload")[0]
    assert "without tokens" in failed["error"], failed
    assert metric(srv, "hypersdk_config_last_reload_successful") == 0
    # Still closed to callers without the token.
    assert srv.api("GET", "/api/v1/jobs")[0] == 401
    assert srv.api("GET", "/api/v1/jobs", headers={"Authorization": "Bearer remote-secret-1"})[0] == 200
    assert srv.stop() == 0


def test_sigterm_drains_a_live_stream_and_lets_the_running_job_finish(h):
    h.write_config("workers:\n  shutdown_grace: 20s\n")
    h.env.update(EXEC_ON)
    ns = NotifySocket()
    try:
        srv = h.serve(env={"NOTIFY_SOCKET": ns.path})
        job = h.submit("--type", "exec", "--", "/bin/sh", "-c", "echo started; sleep 5; echo finished")
        wait_for(lambda: h.json("query", "--id", job)["status"] == "running", what="running")
        stream = LogFollower(srv, job)
        assert stream.got_line.wait(10), "no log line on the stream"

        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        ns.wait_for("STOPPING", "1", after=t0, timeout=5)
        # Draining: readiness fails at once, liveness still answers, the stream goes on.
        status, _, ready = srv.api("GET", "/api/v1/ready")
        assert status == 503, ready
        assert ready["checks"]["draining"][0]["status"] == "fail"
        assert srv.api("GET", "/api/v1/health")[0] == 200
        assert srv.proc.poll() is None and time.monotonic() - t0 < 4.0, "exited before the job finished"

        stream.join(timeout=30)
        assert stream.lines() == ["started", "finished"]
        assert stream.end() and stream.end()["status"] == "succeeded", stream.events
        assert srv.proc.wait(timeout=30) == 0
        assert time.monotonic() - t0 >= 3.0  # it waited for the job
        j = h.json("query", "--id", job)
        assert j["status"] == "succeeded" and j["attempt"] == 1
        assert find_log(srv, "hypersdk serve stopped")
    finally:
        ns.close()


def test_sigterm_hands_back_a_job_that_outlives_the_grace_period(h, tmp_path):
    # Started with a long grace; a reload shortens it (workers.shutdown_grace applies live).
    h.write_config("workers:\n  shutdown_grace: 5m\njobs:\n  exec:\n    kill_grace: 1s\n")
    h.env.update(EXEC_ON)
    pid_file, marker = tmp_path / "pid", tmp_path / "second-run"
    script = (f"if [ -e {marker} ]; then echo second run; exit 0; fi; "
              f"touch {marker}; echo $$ > {pid_file}; echo long; exec sleep 60")
    srv = h.serve()
    job = h.submit("--type", "exec", "--", "/bin/sh", "-c", script)
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), what="the job's pid")
    pid = int(pid_file.read_text())
    stream = LogFollower(srv, job)
    assert stream.got_line.wait(10)
    h.write_config("workers:\n  shutdown_grace: 1s\njobs:\n  exec:\n    kill_grace: 1s\n")
    mark = len(log_lines(srv))
    srv.signal(signal.SIGHUP)
    done = wait_for(lambda: find_log(srv, "configuration reloaded", mark), what="reload")[0]
    assert "restart_needed" not in done

    t0 = time.monotonic()
    srv.signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=30) == 0
    took = time.monotonic() - t0
    assert 1.0 <= took < 10, took
    stream.join(timeout=10)  # the stream ended with the server instead of hanging
    # Handed back, not lost and not left running; its process is gone.
    j = h.json("query", "--id", job)
    assert j["status"] == "queued", j
    assert not __import__("os").path.exists(f"/proc/{pid}")
    assert find_log(srv, "handed unfinished jobs back to the queue")

    srv2 = h.serve()
    wait_for(lambda: h.json("query", "--id", job)["status"] == "succeeded", timeout=30,
             what="the handed-back job to run again")
    assert "second run" in h.run("logs", "--id", job, check=True).stdout
    assert srv2.stop() == 0


def test_sighup_moves_logging_to_a_file_and_refuses_one_it_cannot_open(h, tmp_path):
    srv = h.serve()
    bad = tmp_path / "no-such-dir" / "hypersdk.log"
    h.write_config(f"log:\n  file: {bad}\n")
    srv.signal(signal.SIGHUP)
    failed = wait_for(lambda: find_log(srv, "config reload failed; keeping the previous configuration"),
                      what="the refused log file")[0]
    assert str(bad) in failed["error"]
    assert metric(srv, "hypersdk_config_last_reload_successful") == 0

    good = tmp_path / "hypersdk.log"
    h.write_config(f"log:\n  file: {good}\n  format: json\n")
    srv.signal(signal.SIGHUP)
    wait_for(lambda: good.exists() and "configuration reloaded" in good.read_text(),
             what="the reload logged in the new file")
    assert metric(srv, "hypersdk_config_last_reload_successful") == 1
    srv.request("GET", "/api/v1/jobs", headers={"X-Request-ID": "after-move"})
    wait_for(lambda: "after-move" in good.read_text(), what="a request line in the new file")
    assert "after-move" not in srv.output()
    assert srv.stop() == 0

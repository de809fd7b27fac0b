"""An exec job's processes live no longer than the serve that started them: after kill -9 of
serve the whole process tree of the command dies, so the attempt a restarted serve runs never
overlaps the old one; and a cancel requested while no serve ran is honoured at the restart
(the job ends cancelled, it is not run again)."""
import signal
from pathlib import Path

from conftest import wait_for

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}


def process_gone(pid):
    """Gone, or a zombie nobody reaped yet: either way it no longer runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def query(h, job_id):
    return h.json("query", "--id", job_id)


def test_kill_9_of_serve_kills_the_exec_job_tree_so_attempts_never_overlap(h, tmp_path):
    h.env.update(EXEC_ON)
    marks = tmp_path / "marks"
    # The sleep is a grandchild of serve (the shell's child), in the background: what a
    # parent-death signal on the shell alone would leave running. Attempt 1 would run a minute.
    script = (
        f'echo "start $HYPERSDK_JOB_ATTEMPT" >> {marks}; '
        'if [ "$HYPERSDK_JOB_ATTEMPT" = 1 ]; then d=60; else d=1; fi; '
        f'sleep $d & echo $! > {tmp_path}/sleep.$HYPERSDK_JOB_ATTEMPT; wait; '
        f'echo "end $HYPERSDK_JOB_ATTEMPT" >> {marks}'
    )
    srv = h.serve()
    job_id = h.submit("--type", "exec", "--", "/bin/sh", "-c", script)
    pidfile = tmp_path / "sleep.1"
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="attempt 1 running")
    sleep_pid = int(pidfile.read_text())

    def started_pid():
        for line in h.run("logs", "--id", job_id, check=True).stdout.splitlines():
            if "started pid " in line:
                return int(line.split("started pid ")[1].split(":")[0])
        return None

    # The log is written in batches: wait for the line that names the process group.
    shell_pid = wait_for(started_pid, timeout=10, what="the job's log to name the pid it started")

    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    wait_for(lambda: process_gone(sleep_pid) and process_gone(shell_pid), timeout=5,
             what="attempt 1's process tree to die with serve")

    srv2 = h.serve(env=EXEC_ON)
    job = wait_for(lambda: (lambda j: j if j["status"] == "succeeded" else None)(query(h, job_id)),
                   timeout=30, what="attempt 2 to succeed")
    lines = marks.read_text().splitlines()
    assert lines == ["start 1", "start 2", "end 2"], lines
    assert job["attempt"] == 2
    srv2.stop()


def test_a_cancel_requested_while_serve_was_down_is_honoured_at_restart(h, tmp_path):
    h.env.update(EXEC_ON)
    marks = tmp_path / "marks"
    srv = h.serve()
    job_id = h.submit("--type", "exec", "--", "/bin/sh", "-c",
                      f'echo "start $HYPERSDK_JOB_ATTEMPT" >> {marks}; sleep 60')
    wait_for(lambda: marks.exists() and "start 1" in marks.read_text(), what="attempt 1 running")
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()

    # No server: the CLI records the request in the database; the job still looks running.
    r = h.run("cancel", "--id", job_id, check=True)
    assert "cancellation requested" in r.stdout
    assert query(h, job_id)["status"] == "running"

    srv2 = h.serve(env=EXEC_ON)
    job = wait_for(lambda: (lambda j: j if j["status"] == "cancelled" else None)(query(h, job_id)),
                   timeout=15, what="the job to end cancelled")
    assert job["error"]["class"] == "cancelled"
    assert job["attempt"] == 1
    # Positive signal that serve is working before checking nothing reran: a noop completes.
    noop = h.submit("--type", "noop")
    wait_for(lambda: query(h, noop)["status"] == "succeeded", timeout=15, what="a later job")
    assert marks.read_text().splitlines() == ["start 1"]
    srv2.stop()

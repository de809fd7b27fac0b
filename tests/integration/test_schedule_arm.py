"""Occurrences armed ahead (scheduler_arm.cpp, issue 14) through the real binary: serve writes a
schedule's job a few seconds before its time as a queued job with run_at = the nominal time;
`schedule show` still names that time as the next fire; the job does not start before it;
serve killed -9 between the arm and the nominal time leaves the job to run once after a
restart, and the fire at that time writes nothing more. Time comes from a test clock file."""

import sqlite3

from conftest import FakeClock, wait_for
from ops_support import wait_for_scheduler_ticks


NOMINAL_MS = 1748772060000  # 2025-06-01T10:01:00Z


def occurrences(h, name):
    occ = h.json("schedule", "show", "--name", name, "--occurrences", "100")["occurrences"]
    return list(reversed(occ))  # oldest first


def jobs_of(h, name):
    return [j for j in h.json("list", "--limit", "1000")
            if j.get("labels", {}).get("schedule") == name]


def armed_rows(h):
    """(status, attempt, created_at, run_at) of the jobs of schedules, read straight from the
    database file: milliseconds, where a CLI call would take a good part of the 3 s between
    the arm and the nominal time (the test clock runs on in real time)."""
    con = sqlite3.connect(f"file:{h.db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute("SELECT status, attempt, created_at, run_at FROM jobs"
                           " WHERE schedule_id IS NOT NULL").fetchall()
    finally:
        con.close()


def arm_soon(h, name, *flags):
    h.run("schedule", "create", "--name", name, "--cron", "1 10 * * *", "--timezone", "UTC",
          "--type", "noop", *flags, check=True)


def test_an_armed_occurrence_runs_once_at_its_time_across_a_kill_9(h):
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    arm_soon(h, "armed")
    srv = h.serve(*clock.args())
    clock.set("2025-06-01T10:00:57.100Z")  # 2.9 s before 10:01: within the 3 s lookahead
    rows = wait_for(lambda: armed_rows(h), timeout=10, interval=0.01,
                    what="the occurrence to be armed")
    srv.kill()  # SIGKILL, before 10:01: no shutdown path runs
    assert len(rows) == 1
    status, attempt, created_at, run_at = rows[0]
    assert (status, attempt) == ("queued", 0), rows
    assert run_at == NOMINAL_MS and created_at < NOMINAL_MS, rows
    # Armed: recorded, and the schedule's next fire is still 10:01.
    occ = occurrences(h, "armed")
    assert len(occ) == 1 and occ[0]["outcome"] == "fired", occ
    show = h.json("schedule", "show", "--name", "armed")
    assert show["next_fire"]["utc"].startswith("2025-06-01T10:01:00"), show["next_fire"]

    clock.set("2025-06-01T10:01:00.200Z")
    srv = h.serve(*clock.args())
    done = wait_for(lambda: [j for j in jobs_of(h, "armed") if j["status"] == "succeeded"],
                    timeout=15, what="the armed job to run after the restart")
    assert done[0]["started_at"] >= "2025-06-01T10:01:00", done  # not before its time
    wait_for_scheduler_ticks(srv)  # the restarted scheduler has judged 10:01 itself
    jobs = jobs_of(h, "armed")
    assert len(jobs) == 1, jobs
    assert len(occurrences(h, "armed")) == 1
    show = h.json("schedule", "show", "--name", "armed")
    assert show["next_fire"]["utc"].startswith("2025-06-02T10:01:00"), show["next_fire"]
    assert srv.stop() == 0


def test_a_schedule_paused_after_its_arm_does_not_run(h):
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    arm_soon(h, "paused")
    srv = h.serve(*clock.args())
    clock.set("2025-06-01T10:00:57.100Z")
    wait_for(lambda: armed_rows(h), timeout=10, interval=0.01, what="the occurrence to be armed")
    h.run("schedule", "pause", "--name", "paused", check=True)
    assert armed_rows(h) == []
    assert occurrences(h, "paused") == []
    clock.set("2025-06-01T10:01:00.200Z")
    wait_for_scheduler_ticks(srv)  # 10:01 has come and gone for the scheduler
    assert armed_rows(h) == []
    assert occurrences(h, "paused") == []
    assert srv.stop() == 0


def test_an_armed_occurrence_of_a_serve_down_past_its_time_follows_the_catchup_policy(h):
    # Armed, then serve down from before 10:01 until 10:05 (past misfire_grace, 1 m): with
    # --catchup none the occurrence is missed, as it would be unarmed; the armed job never runs.
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    arm_soon(h, "late", "--catchup", "none")
    srv = h.serve(*clock.args())
    clock.set("2025-06-01T10:00:57.100Z")
    wait_for(lambda: armed_rows(h), timeout=10, interval=0.01, what="the occurrence to be armed")
    srv.kill()
    clock.set("2025-06-01T10:05:00Z")
    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)  # the restarted scheduler has judged 10:01
    assert armed_rows(h) == []
    occ = occurrences(h, "late")
    assert [(o["outcome"], o["reason"]) for o in occ] == [("missed", "catchup_none")], occ
    show = h.json("schedule", "show", "--name", "late")
    assert show["next_fire"]["utc"].startswith("2025-06-02T10:01:00"), show["next_fire"]
    assert srv.stop() == 0

"""Time windows through the real binary (DESIGN §5): a job outside its window is `waiting`
until the next opening (22:00 local for 22:00-06:00), one inside starts at once, days and
holiday calendars keep it closed, and a scheduled job waits the same way. Time comes from a
test clock file shared by serve and the CLI."""
import signal

from conftest import FakeClock, wait_for
from ops_support import find_log, log_lines

HOLIDAYS = "holidays:\n  company:\n    dates: [2025-06-09]\n"


def submit_windowed(h, *extra):
    return h.json("submit", "--type", "noop", "--window", "22:00-06:00",
                  "--timezone", "America/Chicago", *extra)


def status(h, job_id):
    return h.json("query", "--id", job_id)


def test_submitted_at_1400_waits_and_starts_at_2200_local(h):
    clock = FakeClock(h, "2025-06-02T14:00:00-05:00")  # a Monday
    srv = h.serve(*clock.args())
    job = submit_windowed(h)
    assert job["status"] == "waiting"
    assert job["run_at"] == "2025-06-03T03:00:00.000Z"  # 22:00 CDT
    assert job["window"]["window"] == "22:00-06:00"
    # Half a minute before the opening (the clock runs on in real time) the job still waits.
    # The positive signal first: a job without a window, submitted now, has run. The claim that
    # took it judged every windowed job in the same transaction, at a time no earlier than the
    # control's submission, so the windowed job has been looked at and left waiting.
    clock.set("2025-06-02T21:59:30-05:00")
    control = h.submit("--type", "noop")
    wait_for(lambda: status(h, control)["status"] == "succeeded", timeout=20,
             what="a job without a window to run")
    assert status(h, job["id"])["status"] == "waiting"
    clock.set("2025-06-02T22:00:00-05:00")
    done = wait_for(lambda: (lambda j: j if j["status"] == "succeeded" else None)(
        status(h, job["id"])), timeout=10, what="the job to run at the opening")
    assert done["started_at"] >= "2025-06-03T03:00:00"
    assert done["started_at"] < "2025-06-03T03:00:05"
    assert srv.stop() == 0


def test_submitted_at_0200_inside_the_window_starts_at_once(h):
    clock = FakeClock(h, "2025-06-03T02:00:00-05:00")
    srv = h.serve(*clock.args())
    job = submit_windowed(h)
    assert job["status"] == "queued"
    wait_for(lambda: status(h, job["id"])["status"] == "succeeded", timeout=10,
             what="the job to run at once")
    assert srv.stop() == 0


def test_days_and_holidays_keep_the_window_closed(h):
    h.write_config(HOLIDAYS)
    FakeClock(h, "2025-06-07T14:00:00-05:00")  # Saturday
    # Not Saturday or Sunday night: Monday 22:00.
    weekdays = submit_windowed(h, "--days", "mon-fri")
    assert weekdays["status"] == "waiting"
    assert weekdays["run_at"] == "2025-06-10T03:00:00.000Z"
    # Monday 2025-06-09 is a company holiday: Tuesday 22:00.
    holiday = submit_windowed(h, "--days", "mon-fri", "--holidays", "company")
    assert holiday["run_at"] == "2025-06-11T03:00:00.000Z"
    assert holiday["window"]["holidays"] == ["company"]
    r = h.run("submit", "--type", "noop", "--window", "22:00-06:00", "--holidays", "nope")
    assert r.returncode == 2 and "unknown holiday calendar" in r.stderr
    r = h.run("submit", "--type", "noop", "--window", "22-06")
    assert r.returncode == 2 and "time window" in r.stderr


def test_a_scheduled_job_outside_its_window_waits_for_the_opening(h):
    clock = FakeClock(h, "2025-06-02T13:59:00-05:00")
    h.run("schedule", "create", "--name", "afternoon", "--cron", "0 14 * * *", "--timezone",
          "America/Chicago", "--type", "noop", "--window", "22:00-06:00", check=True)
    srv = h.serve(*clock.args())
    clock.set("2025-06-02T14:00:00-05:00")

    def fired():
        jobs = [j for j in h.json("list") if j["labels"].get("schedule") == "afternoon"]
        return jobs[0] if jobs else None

    job = wait_for(fired, timeout=10, what="the 14:00 occurrence to fire")
    assert job["status"] == "waiting"
    assert job["run_at"] == "2025-06-03T03:00:00.000Z"
    clock.set("2025-06-02T22:00:00-05:00")
    wait_for(lambda: status(h, job["id"])["status"] == "succeeded", timeout=10,
             what="the scheduled job to run at 22:00")
    assert srv.stop() == 0


def test_a_running_job_is_cancelled_at_window_close_with_close_cancel(h):
    h.env["HYPERSDK_JOBS__EXEC__ENABLED"] = "true"
    clock = FakeClock(h, "2025-06-03T05:59:50-05:00")
    srv = h.serve(*clock.args())
    cancel = {"id": h.submit("--type", "exec", "--window", "22:00-06:00", "--timezone",
                             "America/Chicago", "--window-close", "cancel", "--", "sleep", "60")}
    finish = {"id": h.submit("--type", "exec", "--window", "22:00-06:00", "--timezone",
                             "America/Chicago", "--", "sleep", "3")}
    wait_for(lambda: all(status(h, j["id"])["status"] == "running" for j in (cancel, finish)),
             timeout=10, what="both jobs to run")
    clock.set("2025-06-03T06:00:00.200-05:00")
    done = wait_for(lambda: (lambda j: j if j["status"] == "cancelled" else None)(
        status(h, cancel["id"])), timeout=15, what="the close=cancel job to be cancelled")
    assert done["finished_at"] >= "2025-06-03T11:00:00"
    # let_finish (the default) runs on past the close.
    wait_for(lambda: status(h, finish["id"])["status"] == "succeeded", timeout=15,
             what="the let_finish job to finish")
    srv.kill()


def test_sighup_brings_new_holiday_dates_to_the_next_jobs_and_refuses_a_broken_ics(h, tmp_path):
    h.write_config(HOLIDAYS)
    clock = FakeClock(h, "2025-06-07T14:00:00-05:00")  # Saturday
    srv = h.serve(*clock.args())
    body = {"type": "noop", "window": "22:00-06:00", "days": "mon-fri",
            "timezone": "America/Chicago", "holidays": ["company"]}
    status_code, _, before = srv.api("POST", "/api/v1/jobs", body)
    assert status_code == 201 and before["run_at"] == "2025-06-11T03:00:00.000Z", before

    # Tuesday becomes a holiday too, and a new calendar appears: no restart needed.
    h.write_config("holidays:\n  company:\n    dates: [2025-06-09, 2025-06-10]\n"
                   "  plant:\n    dates: [2025-06-09]\n")
    mark = len(log_lines(srv))
    srv.signal(signal.SIGHUP)
    done = wait_for(lambda: find_log(srv, "configuration reloaded", mark), what="reload")[0]
    assert "restart_needed" not in done, done
    status_code, _, after = srv.api("POST", "/api/v1/jobs", body)
    assert status_code == 201 and after["run_at"] == "2025-06-12T03:00:00.000Z", after
    status_code, _, plant = srv.api("POST", "/api/v1/jobs", dict(body, holidays=["plant"]))
    assert status_code == 201 and plant["run_at"] == "2025-06-11T03:00:00.000Z", plant
    # A job queued before the reload keeps the dates it was admitted with.
    assert srv.api("GET", f"/api/v1/jobs/{before['id']}")[2]["run_at"] == "2025-06-11T03:00:00.000Z"

    # A calendar whose .ics is not there: the reload is refused and the old book stays.
    h.write_config(f"holidays:\n  company:\n    ics: {tmp_path / 'missing.ics'}\n")
    srv.signal(signal.SIGHUP)
    failed = wait_for(lambda: find_log(srv, "config reload failed; keeping the previous configuration"),
                      what="the refused reload")[0]
    assert "missing.ics" in failed["error"] and "company" in failed["error"], failed
    status_code, _, again = srv.api("POST", "/api/v1/jobs", body)
    assert status_code == 201 and again["run_at"] == "2025-06-12T03:00:00.000Z", again
    assert srv.stop() == 0

"""Schedules end to end through the real binary (DESIGN §5): the spec's `schedule create`,
bad input, catch-up after serve was down, overlap skip, two serve processes on one database,
and emergency runs with their audit entries. Time comes from a test clock file (serve
--test-clock-file, $HYPERSDK_TEST_CLOCK_FILE for the CLI), so no test waits for real minutes."""

from conftest import FakeClock, wait_for
from ops_support import wait_for_scheduler_ticks

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}


def occurrences(h, name):
    occ = h.json("schedule", "show", "--name", name, "--occurrences", "100")["occurrences"]
    return list(reversed(occ))  # oldest first


def jobs_of(h, name):
    return [j for j in h.json("list", "--limit", "1000")
            if j.get("labels", {}).get("schedule") == name]


def test_the_spec_example_creates_a_schedule_and_every_subcommand_works(h):
    clock = FakeClock(h, "2025-06-02T12:00:00Z")
    r = h.run("schedule", "create", "--name", "nightly-backup", "--cron", "0 2 * * *",
              "--timezone", "America/Chicago", "--target", "prod-web-*", "--type", "incremental",
              "--retry-max", "3", "--retry-backoff", "exponential", "--window", "22:00-06:00",
              check=True)
    assert "created schedule nightly-backup" in r.stdout
    assert "2025-06-03T02:00:00-05:00" in r.stdout  # next fire, local
    s = h.json("schedule", "show", "--name", "nightly-backup")
    assert s["type"] == "backup" and s["payload"] == {"kind": "incremental"}
    assert s["target"] == "prod-web-*"
    assert s["max_retries"] == 3 and s["retry"]["backoff"] == "exponential"
    assert s["window"] == "22:00-06:00" and s["timezone"] == "America/Chicago"
    assert (s["overlap"], s["catchup"], s["dst_gap"], s["dst_fold"]) == \
        ("skip", "latest", "shift", "auto")
    assert s["next_fire"]["utc"] == "2025-06-03T07:00:00Z"

    listed = h.json("schedule", "list")
    assert [x["name"] for x in listed] == ["nightly-backup"]
    assert "nightly-backup" in h.run("schedule", "list", check=True).stdout

    h.run("schedule", "update", "--name", "nightly-backup", "--cron", "30 3 * * *",
          "--days", "mon-fri", check=True)
    s = h.json("schedule", "show", "--name", "nightly-backup")
    assert s["cron"] == "30 3 * * *" and s["days"] == "mon-fri"
    assert s["window"] == "22:00-06:00"  # unchanged

    assert "paused" in h.run("schedule", "pause", "--name", "nightly-backup", check=True).stdout
    assert h.json("schedule", "show", "--name", "nightly-backup")["next_fire"] is None
    h.run("schedule", "resume", "--name", "nightly-backup", check=True)
    assert h.json("schedule", "show", "--name", "nightly-backup")["next_fire"] is not None

    # --command "echo hi" is split like a shell would; repeated --command works too.
    h.env.update(EXEC_ON)
    h.run("schedule", "create", "--name", "echo", "--cron", "@hourly", "--command", "echo 'hi there'",
          check=True)
    assert h.json("schedule", "show", "--name", "echo")["payload"]["argv"] == ["echo", "hi there"]
    h.run("schedule", "create", "--name", "echo2", "--cron", "@hourly", "--type", "exec",
          "--command", "echo", "--command", "a b", check=True)
    assert h.json("schedule", "show", "--name", "echo2")["payload"]["argv"] == ["echo", "a b"]

    h.run("schedule", "delete", "--name", "echo2", check=True)
    r = h.run("schedule", "show", "--name", "echo2")
    assert r.returncode == 3 and "no schedule" in r.stderr
    dup = h.run("schedule", "create", "--name", "echo", "--cron", "@daily", "--type", "noop")
    assert dup.returncode == 4 and "already exists" in dup.stderr
    del clock


def test_bad_input_is_exit_2_with_the_field_and_nothing_written(h):
    base = ["schedule", "create", "--name", "x", "--type", "noop"]
    cases = [
        (["--cron", "0 25 * * *"], "cron field 2 (hour)"),
        (["--cron", "61 * * * *"], "cron field 1 (minute)"),
        (["--cron", "0 0 * * 8"], "cron field 5 (day-of-week)"),
        (["--cron", "0 2 * *"], "cron"),
        (["--cron", "0 2 * * *", "--timezone", "Mars/Base"], "unknown time zone"),
        (["--cron", "0 2 * * *", "--window", "25:00-06:00"], "time window"),
        (["--cron", "0 2 * * *", "--days", "funday"], "days"),
        (["--cron", "0 2 * * *", "--overlap", "sometimes"], "overlap policy"),
        (["--cron", "0 2 * * *", "--catchup", "most"], "catch-up policy"),
        (["--cron", "0 2 * * *", "--dst-gap", "jump"], "dst"),
        (["--cron", "0 2 * * *", "--holidays", "nope"], "unknown holiday calendar"),
    ]
    for extra, fragment in cases:
        r = h.run(*base, *extra)
        assert r.returncode == 2, (extra, r.stderr)
        assert fragment in r.stderr, (extra, r.stderr)
    r = h.run("schedule", "create", "--name", "x", "--type", "exec", "--cron", "@daily",
              "--command", "true")
    assert r.returncode == 2 and "exec jobs are disabled" in r.stderr
    assert h.json("schedule", "list") == []
    r = h.run("schedule", "run", "--name", "x", "--emergency")
    assert r.returncode == 2 and "--reason" in r.stderr


def test_serve_down_across_three_occurrences_catches_up_per_policy(h):
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    for policy in ("latest", "all", "none"):
        h.run("schedule", "create", "--name", policy, "--cron", "0 * * * *", "--timezone", "UTC",
              "--type", "noop", "--catchup", policy, "--catchup-window", "24h", check=True)
    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)  # it has seen 10:00:30, when nothing is due
    assert srv.stop() == 0
    # Down from 10:00 until 13:30: 11:00, 12:00 and 13:00 pass with no scheduler.
    clock.set("2025-06-01T13:30:00Z")
    srv = h.serve(*clock.args())
    expected = {"latest": 1, "all": 3, "none": 0}

    def caught_up():
        return all(len(occurrences(h, p)) == 3 for p in expected)

    wait_for(caught_up, timeout=20, interval=0.3, what="occurrences recorded")
    wait_for(lambda: all(j["status"] == "succeeded" for j in h.json("list", "--limit", "100")),
             timeout=20, interval=0.2, what="jobs to finish")
    for policy, runs in expected.items():
        occ = occurrences(h, policy)
        fired = [o for o in occ if o["outcome"] == "fired"]
        missed = [o for o in occ if o["outcome"] == "missed"]
        assert len(fired) == runs, (policy, occ)
        assert len(missed) == 3 - runs, (policy, occ)
        assert len(jobs_of(h, policy)) == runs
        reason = {"latest": "superseded", "none": "catchup_none"}.get(policy)
        assert all(o["reason"] == reason for o in missed)
    assert [o["nominal_utc"][:19] for o in occurrences(h, "latest") if o["outcome"] == "fired"] == \
        ["2025-06-01T13:00:00"]
    status, _, metrics = srv.request("GET", "/api/v1/metrics")
    text = metrics.decode()
    assert 'hypersdk_schedule_missed_total{reason="catchup_none",schedule="none"} 3' in text
    assert 'hypersdk_schedule_fires_total{schedule="all"} 3' in text
    # A restart fires nothing again.
    assert srv.stop() == 0
    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)  # two ticks at 13:30 after the restart
    assert len(h.json("list", "--limit", "100")) == 4
    assert srv.stop() == 0


def test_a_job_that_outlives_its_period_skips_the_next_occurrence(h):
    h.env.update(EXEC_ON)
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    h.run("schedule", "create", "--name", "slow", "--cron", "* * * * *", "--timezone", "UTC",
          "--command", "sleep 60", check=True)
    srv = h.serve(*clock.args())
    clock.set("2025-06-01T10:00:59.700Z")
    wait_for(lambda: [j for j in jobs_of(h, "slow") if j["status"] == "running"],
             timeout=10, what="the first run to start")
    clock.set("2025-06-01T10:02:00.200Z")  # 10:01 fired; 10:02 comes while it still runs

    def skipped():
        return [o for o in occurrences(h, "slow") if o["outcome"] == "skipped"]

    skip = wait_for(skipped, timeout=10, what="the overlapping occurrence to be skipped")
    assert skip[0]["reason"] == "overlap"
    assert skip[0]["nominal_utc"].startswith("2025-06-01T10:02:00")
    assert len(jobs_of(h, "slow")) == 1
    srv.kill()


def test_two_serve_processes_on_one_database_never_fire_an_occurrence_twice(h):
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    for i in range(3):
        h.run("schedule", "create", "--name", f"every-minute-{i}", "--cron", "* * * * *",
              "--timezone", "UTC", "--type", "noop", "--overlap", "allow", check=True)
    a = h.serve(*clock.args())
    b = h.serve(*clock.args())
    for minute in range(1, 7):
        clock.set(f"2025-06-01T10:{minute:02d}:00.100Z")
        # Both schedulers tick at this minute, so both try to fire each occurrence.
        wait_for_scheduler_ticks(a)
        wait_for_scheduler_ticks(b)
    wait_for(lambda: sum(len(occurrences(h, f"every-minute-{i}")) for i in range(3)) == 18,
             timeout=15, what="18 occurrences")
    for i in range(3):
        jobs = jobs_of(h, f"every-minute-{i}")
        nominal = sorted(j["labels"]["nominal_fire"] for j in jobs)
        assert len(nominal) == 6 and len(set(nominal)) == 6, nominal
    assert a.stop() == 0 and b.stop() == 0


def test_emergency_run_bypasses_window_and_overlap_and_is_audited(h):
    clock = FakeClock(h, "2025-06-02T14:00:00-05:00")
    h.run("schedule", "create", "--name", "nightly", "--cron", "0 2 * * *", "--timezone",
          "America/Chicago", "--type", "noop", "--window", "22:00-06:00", check=True)
    # A plain run at 14:00 waits for the window.
    waiting = h.json("schedule", "run", "--name", "nightly")
    assert waiting["status"] == "waiting"
    assert waiting["run_at"].startswith("2025-06-03T03:00:00")
    # Overlap: another plain run is refused while that one is active.
    r = h.run("schedule", "run", "--name", "nightly")
    assert r.returncode == 4 and "still active" in r.stderr
    srv = h.serve(*clock.args())
    r = h.run("schedule", "run", "--name", "nightly", "--emergency", "--reason", "restore drill",
              env={"USER": "alice"}, check=True)
    job_id = r.stdout.split()[0]
    assert "emergency" in r.stdout
    job = wait_for(lambda: (lambda j: j if j["status"] == "succeeded" else None)(
        h.json("query", "--id", job_id)), timeout=15, what="the emergency run to finish")
    assert job["labels"]["trigger"] == "emergency"
    assert "window" not in job
    assert h.json("query", "--id", waiting["id"])["status"] == "waiting"
    audit = h.json("schedule", "audit")
    assert len(audit) == 1
    assert audit[0]["actor"].startswith("alice (uid ")
    assert audit[0]["reason"] == "restore drill"
    assert audit[0]["subject"] == "nightly" and audit[0]["job_id"] == job_id
    assert audit[0]["at"].startswith("2025-06-02T19:00")
    text = h.run("schedule", "audit", check=True).stdout
    assert "restore drill" in text and "alice" in text
    assert srv.stop() == 0


TOKENS = """api:
  tokens:
    - {name: ops-bot, token: operate-secret, role: operate}
    - {name: oncall, token: admin-secret, role: admin}
"""


def test_api_schedules_and_the_cli_through_server(h):
    h.write_config(TOKENS)
    clock = FakeClock(h, "2025-06-02T14:00:00-05:00")
    srv = h.serve(*clock.args())
    op = {"Authorization": "Bearer operate-secret"}
    admin = {"Authorization": "Bearer admin-secret"}
    status, hdrs, s = srv.api("POST", "/api/v1/schedules", {
        "name": "api-nightly", "cron": "0 2 * * *", "timezone": "America/Chicago",
        "type": "full", "target": "prod-db-*", "window": "22:00-06:00"}, op)
    assert status == 201, s
    assert hdrs["Location"] == "/api/v1/schedules/api-nightly"
    assert s["type"] == "backup" and s["payload"] == {"kind": "full"}
    assert s["next_fire"]["utc"] == "2025-06-03T07:00:00Z"
    status, _, err = srv.api("POST", "/api/v1/schedules",
                             {"name": "bad", "cron": "0 2 * * 9", "type": "noop"}, op)
    assert status == 400 and "cron field 5" in err["error"]["message"]
    status, _, _ = srv.api("POST", "/api/v1/schedules", {"name": "x", "cron": "@daily"})
    assert status == 401

    status, _, listed = srv.api("GET", "/api/v1/schedules", headers=op)
    assert status == 200 and [x["name"] for x in listed["schedules"]] == ["api-nightly"]
    status, _, upd = srv.api("POST", "/api/v1/schedules/api-nightly",
                             {"overlap": "buffer_one", "catchup": "all"}, op)
    assert status == 200 and (upd["overlap"], upd["catchup"]) == ("buffer_one", "all")
    assert upd["window"] == "22:00-06:00"
    status, _, paused = srv.api("POST", "/api/v1/schedules/api-nightly/pause", {}, op)
    assert status == 200 and paused["paused"] is True
    status, _, resumed = srv.api("POST", "/api/v1/schedules/api-nightly/resume", {}, op)
    assert status == 200 and resumed["paused"] is False
    # 02:00 does not exist on 2025-03-09 in Chicago: shifted to 03:00 CDT.
    status, _, nxt = srv.api(
        "GET", "/api/v1/schedules/api-nightly/next?count=2&from=2025-03-08T12:00:00Z", headers=op)
    assert status == 200 and [f["utc"] for f in nxt["fires"]] == [
        "2025-03-09T08:00:00Z", "2025-03-10T07:00:00Z"]
    assert nxt["fires"][0]["dst_shifted"] is True

    # A plain run waits for the window; an emergency run needs the admin role and is audited
    # under the token's name.
    status, _, job = srv.api("POST", "/api/v1/schedules/api-nightly/run", {}, op)
    assert status == 201 and job["status"] == "waiting"
    status, _, err = srv.api("POST", "/api/v1/schedules/api-nightly/run",
                             {"emergency": True, "reason": "now"}, op)
    assert status == 403
    status, _, err = srv.api("POST", "/api/v1/schedules/api-nightly/run", {"emergency": True}, admin)
    assert status == 400 and "reason" in err["error"]["message"]
    status, _, job = srv.api("POST", "/api/v1/schedules/api-nightly/run",
                             {"emergency": True, "reason": "ransomware drill"}, admin)
    assert status == 201 and job["labels"]["trigger"] == "emergency"
    status, _, audit = srv.api("GET", "/api/v1/audit?action=schedule.emergency_run", headers=admin)
    assert status == 200
    assert audit["entries"][0]["actor"] == "token:oncall"
    assert audit["entries"][0]["reason"] == "ransomware drill"
    status, _, _ = srv.api("GET", "/api/v1/audit", headers=op)
    assert status == 403

    # The CLI through --server speaks the same API.
    remote = ("--server", srv.url, "--token", "operate-secret")
    h.run(*remote, "schedule", "create", "--name", "remote", "--cron", "@hourly", "--type", "noop",
          check=True)
    names = [x["name"] for x in h.json(*remote, "schedule", "list")]
    assert names == ["api-nightly", "remote"]
    shown = h.json(*remote, "schedule", "show", "--name", "api-nightly")
    assert [o for o in shown["occurrences"]] == []
    r = h.run(*remote, "schedule", "create", "--name", "remote2", "--cron", "0 0 0 * *",
              "--type", "noop")
    assert r.returncode == 2 and "cron field 3" in r.stderr
    h.run(*remote, "schedule", "delete", "--name", "remote", check=True)
    status, _, _ = srv.api("GET", "/api/v1/schedules/remote", headers=op)
    assert status == 404
    assert srv.stop() == 0


def test_schedules_created_and_paused_by_the_cli_take_effect_in_a_running_serve(h):
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    srv = h.serve(*clock.args())
    h.run("schedule", "create", "--name", "live", "--cron", "* * * * *", "--timezone", "UTC",
          "--type", "noop", check=True)
    nxt = h.json("schedule", "next", "--name", "live", "--count", "2")
    assert [f["utc"] for f in nxt] == ["2025-06-01T10:01:00Z", "2025-06-01T10:02:00Z"]
    clock.set("2025-06-01T10:01:00.100Z")
    wait_for(lambda: len(jobs_of(h, "live")) == 1, timeout=5, what="the new schedule to fire")
    h.run("schedule", "pause", "--name", "live", check=True)
    wait_for_scheduler_ticks(srv)  # a whole tick after the pause: the scheduler has seen it
    clock.set("2025-06-01T10:02:00.100Z")
    wait_for_scheduler_ticks(srv)  # a whole tick at 10:02, when "live" would be due
    assert len(jobs_of(h, "live")) == 1
    h.run("schedule", "resume", "--name", "live", check=True)
    clock.set("2025-06-01T10:03:00.100Z")
    wait_for(lambda: len(jobs_of(h, "live")) == 2, timeout=5, what="the resumed schedule to fire")
    # The paused minute is neither run nor reported missed.
    assert [o["outcome"] for o in occurrences(h, "live")] == ["fired", "fired"]
    assert srv.stop() == 0

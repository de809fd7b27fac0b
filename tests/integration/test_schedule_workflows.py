"""What schedules fire (issue 9 item 5, issue 11 item 6): a schedule that runs a workflow
template (`schedule create --workflow NAME --param k=v`), its overlap policies applied to whole
workflow runs, a windowed step that waits for its window, and target globs expanded at fire
time over a provider's inventory (one job or workflow run per matching VM; no match is a
skipped occurrence, an unreachable provider a missed one with reason "failed: ..."). Time comes from a test clock file,
as in test_schedule.py."""
import re
import sqlite3

from conftest import FakeClock, wait_for
from ops_support import wait_for_scheduler_ticks
from test_providers import MIB, vm_dir

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}

CHAIN = """\
name: nightly
steps:
  - name: first
    type: noop
    target: '{{vm}}'
  - name: second
    type: noop
    depends_on: [first]
    window: '03:00-04:00'
    timezone: UTC
"""

SLOW = """\
name: slow
steps:
  - name: work
    type: exec
    payload: {argv: [/bin/sh, -c, 'sleep 60']}
    retry: {max_retries: 0}
  - name: after
    type: noop
    depends_on: [work]
"""


def started(o):
    """The runs an occurrence started, from its reason: "started w-3" or "started j-4
    (prod-web-1), j-5 (prod-web-2)"."""
    return re.findall(r"\b[jw]-\d+", o["reason"]) if o["reason"].startswith("started ") else []


def occurrences(h, name):
    occ = h.json("schedule", "show", "--name", name, "--occurrences", "100")["occurrences"]
    return list(reversed(occ))  # oldest first


def workflows(h):
    return sorted(h.json("workflow", "list"), key=lambda w: int(w["id"][2:]))


def workflow(h, wid):
    return h.json("workflow", "show", "--id", wid)


def step_of(w, name):
    return next(s for s in w["steps"] if s["name"] == name)


def template(h, tmp_path, text, name):
    f = tmp_path / f"{name}.yaml"
    f.write_text(text)
    h.run("workflow", "template", "create", "--file", str(f), check=True)


def test_a_scheduled_template_run_fires_once_and_its_windowed_step_waits(h, tmp_path):
    clock = FakeClock(h, "2025-06-01T01:59:30Z")
    template(h, tmp_path, CHAIN, "nightly")
    h.run("schedule", "create", "--name", "nightly", "--cron", "0 2 * * *", "--timezone", "UTC",
          "--workflow", "nightly", "--param", "vm=web-1", check=True)
    s = h.json("schedule", "show", "--name", "nightly")
    assert (s["type"], s["workflow"], s["params"]) == ("workflow", "nightly", {"vm": "web-1"})
    listed = h.run("schedule", "list", check=True).stdout
    assert "workflow nightly" in listed, listed
    assert "workflow nightly" in h.run("schedule", "show", "--name", "nightly", check=True).stdout

    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)  # it has seen 01:59:30: nothing is due
    assert workflows(h) == []

    clock.set("2025-06-01T02:00:00.300Z")
    fired = wait_for(lambda: [o for o in occurrences(h, "nightly") if o["outcome"] == "fired"],
                     timeout=15, what="the 02:00 occurrence to fire")
    [w] = workflows(h)
    assert started(fired[0]) == [w["id"]] and fired[0]["job_id"] is None
    assert w["name"] == "nightly" and w["params"] == {"vm": "web-1"}

    # first runs at once; second waits for its window (03:00-04:00 UTC).
    def second_waits():
        x = workflow(h, w["id"])
        return x if step_of(x, "first")["status"] == "succeeded" and \
            step_of(x, "second")["status"] == "waiting" else None

    x = wait_for(second_waits, timeout=15, what="first to succeed and second to wait")
    second = step_of(x, "second")
    assert second["run_at"].startswith("2025-06-01T03:00:00"), second
    assert step_of(x, "first")["target"] == "web-1"
    assert step_of(x, "first")["labels"]["schedule"] == "nightly"
    wait_for_scheduler_ticks(srv)
    assert workflow(h, w["id"])["status"] == "running"  # still waiting at 02:00

    clock.set("2025-06-01T03:00:01Z")
    done = wait_for(lambda: (lambda y: y if y["status"] == "succeeded" else None)(
        workflow(h, w["id"])), timeout=20, what="the workflow to finish in the window")
    assert step_of(done, "second")["status"] == "succeeded"

    # kill -9 and a restart fire nothing again: one run per occurrence.
    srv.kill()
    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)
    assert len(workflows(h)) == 1
    assert [o["outcome"] for o in occurrences(h, "nightly")] == ["fired"]
    assert srv.stop() == 0


def test_overlap_policies_apply_to_whole_workflow_runs(h, tmp_path):
    h.env.update(EXEC_ON)
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    template(h, tmp_path, SLOW, "slow")
    for policy in ("skip", "buffer_one", "cancel_other"):
        h.run("schedule", "create", "--name", policy, "--cron", "* * * * *", "--timezone", "UTC",
              "--workflow", "slow", "--overlap", policy, check=True)
    srv = h.serve(*clock.args())
    clock.set("2025-06-01T10:01:00.200Z")

    def runs_of(name):
        return [r for o in occurrences(h, name) for r in started(o)]

    def running_work(name):
        rs = runs_of(name)
        return rs and step_of(workflow(h, rs[0]), "work")["status"] == "running"

    for policy in ("skip", "buffer_one", "cancel_other"):
        wait_for(lambda: running_work(policy), timeout=20, what=f"{policy}'s first run to start")
    # 10:02 comes while every first run is still in its first step.
    clock.set("2025-06-01T10:02:00.200Z")
    wait_for(lambda: all(len(occurrences(h, p)) == 2 for p in ("skip", "buffer_one",
                                                               "cancel_other")),
             timeout=20, what="the 10:02 occurrences")
    skip = occurrences(h, "skip")
    assert skip[1]["outcome"] == "skipped" and skip[1]["reason"] == "overlap"
    assert len(runs_of("skip")) == 1

    buf = occurrences(h, "buffer_one")
    assert buf[1]["outcome"] == "buffered"
    first, queued = runs_of("buffer_one")
    w2 = workflow(h, queued)
    assert step_of(w2, "work")["status"] == "waiting" and w2["status"] == "running"

    cancel = occurrences(h, "cancel_other")
    assert cancel[1]["outcome"] == "fired"
    old, new = runs_of("cancel_other")
    assert wait_for(lambda: workflow(h, old)["status"] == "cancelled", timeout=20,
                    what="cancel_other to end the previous run")
    wait_for(lambda: step_of(workflow(h, new), "work")["status"] == "running", timeout=20,
             what="the newer run to start")

    # buffer_one: a third occurrence while one run is active and one buffered is skipped...
    clock.set("2025-06-01T10:03:00.200Z")
    wait_for(lambda: len(occurrences(h, "buffer_one")) == 3, timeout=20, what="10:03")
    third = occurrences(h, "buffer_one")[2]
    assert third["outcome"] == "skipped" and third["reason"] == "overlap_buffer_full", third
    # ...and the buffered run starts once the active one has ended (not before).
    assert step_of(workflow(h, queued), "work")["status"] == "waiting"
    h.run("workflow", "cancel", "--id", first, check=True)
    wait_for(lambda: step_of(workflow(h, queued), "work")["status"] == "running", timeout=20,
             what="the buffered run to be released")
    srv.kill()


def test_target_globs_expand_per_vm_at_fire_time(h, tmp_path):
    vms = h.tmp / "vms"
    for name in ("prod-web-1", "prod-web-2", "prod-db-1", "web-prod-3"):
        vm_dir(vms, name, size=MIB)
    h.write_config(f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
                   f"  gone:\n    kind: local\n    dirs: [{h.tmp / 'nowhere'}]\n")
    clock = FakeClock(h, "2025-06-01T01:59:30Z")
    template(h, tmp_path, CHAIN, "nightly")
    common = ["--cron", "0 2 * * *", "--timezone", "UTC"]
    h.run("schedule", "create", "--name", "webs", *common, "--type", "noop", "--provider", "lab",
          "--target", "prod-web-*", check=True)
    h.run("schedule", "create", "--name", "web-flows", *common, "--workflow", "nightly",
          "--provider", "lab", "--target", "prod-web-[12]", check=True)
    h.run("schedule", "create", "--name", "staging", *common, "--type", "noop", "--provider",
          "lab", "--target", "staging-*", check=True)
    h.run("schedule", "create", "--name", "down", *common, "--type", "noop", "--provider",
          "gone", "--target", "prod-*", check=True)
    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)
    clock.set("2025-06-01T02:00:00.300Z")
    wait_for(lambda: all(occurrences(h, n) for n in ("webs", "web-flows", "staging", "down")),
             timeout=20, what="the 02:00 occurrences")

    [o] = occurrences(h, "webs")
    assert o["outcome"] == "fired" and len(started(o)) == 2, o
    jobs = [h.json("query", "--id", j) for j in started(o)]
    assert sorted(j["target"] for j in jobs) == ["prod-web-1", "prod-web-2"]
    assert all(j["provider"] == "lab" and j["labels"]["schedule"] == "webs" for j in jobs)

    [o] = occurrences(h, "web-flows")
    assert o["outcome"] == "fired" and len(started(o)) == 2, o
    flows = [workflow(h, w) for w in started(o)]
    assert sorted(w["params"]["vm"] for w in flows) == ["prod-web-1", "prod-web-2"]
    assert sorted(step_of(w, "first")["target"] for w in flows) == ["prod-web-1", "prod-web-2"]

    [o] = occurrences(h, "staging")
    assert o["outcome"] == "skipped" and o["job_id"] is None, o
    assert o["reason"] == 'no VM of provider lab matches target "staging-*"', o
    shown = h.run("schedule", "show", "--name", "staging", check=True).stdout
    assert "no VM of provider lab matches" in shown, shown

    [o] = occurrences(h, "down")
    assert o["outcome"] == "missed" and o["job_id"] is None, o
    assert o["reason"].startswith("failed: ") and 'provider "gone"' in o["reason"], o

    # Only those: no job for prod-db-1 or web-prod-3, none for the failed occurrences.
    all_jobs = h.json("list", "--limit", "1000")
    targets = sorted(j["target"] for j in all_jobs if j["target"])
    assert targets == ["prod-web-1", "prod-web-1", "prod-web-2", "prod-web-2"], targets
    with sqlite3.connect(h.db) as c:
        kinds = [r[0] for r in c.execute(
            "SELECT payload FROM events WHERE kind = 'schedule.missed' ORDER BY id")]
    assert any("staging-*" in k for k in kinds) and any("gone" in k for k in kinds), kinds
    # Counted under a reason code, never the free text (a label value per error message).
    text = srv.request("GET", "/api/v1/metrics")[2].decode()
    assert 'hypersdk_schedule_missed_total{reason="no_matching_vm",schedule="staging"} 1' in text
    assert 'hypersdk_schedule_missed_total{reason="failed",schedule="down"} 1' in text
    assert "matches target" not in text and "nowhere" not in text
    assert srv.stop() == 0


def test_bad_workflow_schedules_are_refused_naming_the_cause(h, tmp_path):
    template(h, tmp_path, CHAIN, "nightly")
    base = ["schedule", "create", "--name", "x", "--cron", "@daily"]
    r = h.run(*base, "--workflow", "nope")
    assert r.returncode == 3 and "nope" in r.stderr, r.stderr
    r = h.run(*base, "--workflow", "nightly")
    assert r.returncode == 2 and "vm" in r.stderr, r.stderr
    r = h.run(*base, "--workflow", "nightly", "--param", "vm=a", "--param", "colour=red")
    assert r.returncode == 2 and "colour" in r.stderr, r.stderr
    r = h.run(*base, "--type", "noop", "--param", "vm=a")
    assert r.returncode == 2 and "params" in r.stderr, r.stderr
    r = h.run(*base, "--workflow", "nightly", "--type", "noop", "--param", "vm=a")
    assert r.returncode == 2 and "not both" in r.stderr, r.stderr
    assert h.json("schedule", "list") == []
    h.run(*base, "--workflow", "nightly", "--param", "vm=a", check=True)
    r = h.run("schedule", "run", "--name", "x")
    assert r.returncode == 2 and "workflow" in r.stderr, r.stderr


def test_a_step_shows_its_workflow_in_list_and_the_job_routes(h, tmp_path):
    template(h, tmp_path, CHAIN, "nightly")
    srv = h.serve()
    w = h.json("workflow", "submit", "--template", "nightly", "--param", "vm=web-1")
    plain = h.submit("--type", "noop")
    first = step_of(w, "first")
    status, _, job = srv.api("GET", f"/api/v1/jobs/{first['job_id']}")
    assert status == 200, job
    assert (job["workflow_id"], job["step"]) == (w["id"], "first")
    status, _, job = srv.api("GET", f"/api/v1/jobs/{plain}")
    assert status == 200 and job["workflow_id"] is None and job["step"] is None, job
    listed = h.run("list", check=True).stdout
    assert "WORKFLOW" in listed.splitlines()[0], listed
    row = next(line for line in listed.splitlines() if line.startswith(first["job_id"] + " "))
    assert f"{w['id']}/first" in row, listed
    shown = h.run("query", "--id", first["job_id"], check=True).stdout
    assert w["id"] in shown and "first" in shown, shown

    # The API's schedule body takes the template and params as the CLI does.
    status, _, body = srv.api("POST", "/api/v1/schedules", {
        "name": "api-wf", "cron": "@daily", "workflow": "nightly", "params": {"vm": "web-2"}})
    assert status == 201, body
    assert (body["type"], body["workflow"], body["params"]) == ("workflow", "nightly",
                                                               {"vm": "web-2"})
    status, _, body = srv.api("POST", "/api/v1/schedules", {
        "name": "api-bad", "cron": "@daily", "workflow": "nightly", "params": {"vm": 3}})
    assert status == 400 and '"vm" must be a string' in body["error"]["message"], body
    assert srv.stop() == 0

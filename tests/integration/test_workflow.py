"""Workflows end to end through the real binary: a diamond of exec steps whose branches run
at the same time, failure propagation, partial retry, trigger rules, rejected definitions and
a kill -9 of serve in the middle of a workflow."""
import json
import signal
import sqlite3
import time

import pytest

from conftest import wait_for

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}


def step(name, script, deps=(), **extra):
    s = {"name": name, "type": "exec", "payload": {"argv": ["/bin/sh", "-c", script]},
         "retry": {"max_retries": 0}}
    if deps:
        s["depends_on"] = list(deps)
    s.update(extra)
    return s


def marks(d, name):
    """A step script that records its start and end (ns) and each success. The start mark
    appears (rename) only once it holds its time: a shell redirect creates the file before
    `date` runs, so a step waiting for the other's mark could otherwise end before that time."""
    return (f"date +%s%N > {d}/{name}.start.tmp && mv {d}/{name}.start.tmp {d}/{name}.start; "
            f"{{SLOT}}"
            f"date +%s%N > {d}/{name}.end; echo ok >> {d}/{name}.runs")


def ns(path):
    return int(path.read_text().strip())


def write_wf(tmp_path, wf, name="wf.json"):
    p = tmp_path / name
    p.write_text(json.dumps(wf))
    return p


def wait_workflow(h, wid, statuses=("succeeded", "failed", "cancelled"), timeout=60):
    out = {}

    def done():
        out["w"] = h.json("workflow", "show", "--id", wid)
        return out["w"]["status"] in statuses

    wait_for(done, timeout=timeout, interval=0.2, what=f"workflow {wid} to reach {statuses}")
    return out["w"]


def workflow_events(h):
    """The workflow events in the events table (the notifier's outbox), oldest first."""
    with sqlite3.connect(h.db) as c:
        return [r[0] for r in c.execute(
            "SELECT kind FROM events WHERE kind LIKE 'workflow.%' ORDER BY id")]


def states(w):
    return {s["name"]: s["state"] for s in w["steps"]}


def diamond(d, b_script="true"):
    # b and c each wait (bounded) for the other to have started: if the two branches did not
    # run at the same time, the overlap assertion below fails.
    wait_other = lambda other: (f"for i in $(seq 300); do [ -e {d}/{other}.start ] && break; "
                                f"sleep 0.05; done; ")
    return {
        "name": "diamond",
        "steps": [
            step("a", marks(d, "a").replace("{SLOT}", "")),
            step("b", marks(d, "b").replace("{SLOT}", wait_other("c") + b_script + " || exit 3; "),
                 ["a"]),
            step("c", marks(d, "c").replace("{SLOT}", wait_other("b")), ["a"]),
            step("d", marks(d, "d").replace(
                "{SLOT}", f"env | grep '^HYPERSDK_INPUT' | sort > {d}/d.env; "), ["b", "c"]),
        ],
    }


def test_diamond_runs_branches_together_and_passes_every_result_down(h, tmp_path):
    d = tmp_path / "marks"
    d.mkdir()
    h.env.update(EXEC_ON)
    srv = h.serve("--workers", "4")
    wid = h.run("workflow", "submit", "--file", str(write_wf(tmp_path, diamond(d))),
                check=True).stdout.strip()
    assert wid.startswith("w-")
    w = wait_workflow(h, wid)
    assert w["status"] == "succeeded", w
    assert states(w) == {"a": "succeeded", "b": "succeeded", "c": "succeeded", "d": "succeeded"}
    # b and c overlap; d starts after both ended; a ended before either started.
    assert ns(d / "b.start") < ns(d / "c.end") and ns(d / "c.start") < ns(d / "b.end")
    assert ns(d / "a.end") <= min(ns(d / "b.start"), ns(d / "c.start"))
    assert ns(d / "d.start") >= max(ns(d / "b.end"), ns(d / "c.end"))
    env = (d / "d.env").read_text()
    for s in ("A", "B", "C"):
        assert f'HYPERSDK_INPUT_{s}={{"exit_code":0}}' in env, env
    inputs = next(s for s in w["steps"] if s["name"] == "d")["payload"]["inputs"]
    assert set(inputs) == {"a", "b", "c"}
    # The topological order and the edges are in `show`.
    text = h.run("workflow", "show", "--id", wid, check=True).stdout
    lines = [l.split()[0] for l in text.splitlines()[2:] if l.strip()]
    assert lines.index("a") < lines.index("b") < lines.index("d"), text
    assert "<- b, c" in text, text
    status, _, api_w = srv.api("GET", "/api/v1/workflows/" + wid)
    assert status == 200 and api_w["status"] == "succeeded"
    assert [s["name"] for s in api_w["steps"]] == [s["name"] for s in w["steps"]]
    assert workflow_events(h) == ["workflow.started", "workflow.completed"]
    assert srv.stop() == 0


@pytest.mark.parametrize("how", ["workflow retry", "retry of the failed step's job"])
def test_failed_branch_blocks_its_join_and_retry_runs_only_what_did_not_succeed(h, tmp_path, how):
    d = tmp_path / "marks"
    d.mkdir()
    h.env.update(EXEC_ON)
    srv = h.serve("--workers", "4")
    wf = diamond(d, b_script=f"test -e {d}/fixed")
    wid = h.run("workflow", "submit", "--file", str(write_wf(tmp_path, wf)),
                check=True).stdout.strip()
    w = wait_workflow(h, wid)
    assert w["status"] == "failed"
    assert states(w) == {"a": "succeeded", "b": "failed", "c": "succeeded",
                         "d": "upstream_failed"}
    text = h.run("workflow", "show", "--id", wid, check=True).stdout
    assert "failed" in text.splitlines()[0]
    d_line = next(l for l in text.splitlines() if l.startswith("d "))
    assert "upstream_failed" in d_line and "b did not succeed" in d_line, text
    assert not (d / "b.runs").exists() and not (d / "d.start").exists()

    (d / "fixed").touch()
    if how == "workflow retry":
        r = h.run("workflow", "retry", "--id", wid)
    else:  # `hypersdk retry` on a step resumes its whole workflow the same way
        b_job = next(s for s in w["steps"] if s["name"] == "b")["job_id"]
        r = h.run("retry", "--id", b_job)
    assert r.returncode == 0, r.stderr
    w = wait_workflow(h, wid)
    assert w["status"] == "succeeded" and w["runs"] == 2
    # a and c ran once; b and d once each now (b's failed attempt wrote no success).
    for s in ("a", "b", "c", "d"):
        assert (d / f"{s}.runs").read_text() == "ok\n", s
    a_step = next(s for s in w["steps"] if s["name"] == "a")
    assert a_step["attempt"] == 1
    assert workflow_events(h) == ["workflow.started", "workflow.failed", "workflow.started",
                                  "workflow.completed"]
    listed = h.json("workflow", "list")
    assert [x["id"] for x in listed] == [wid] and listed[0]["status"] == "succeeded"
    # A succeeded workflow cannot be retried; a bad id is a clear error.
    r = h.run("workflow", "retry", "--id", wid)
    assert r.returncode != 0 and "succeeded" in r.stderr
    r = h.run("workflow", "show", "--id", "j-1")
    assert r.returncode == 2 and "not a workflow id" in r.stderr
    assert srv.stop() == 0


def test_one_failed_and_all_done_run_when_their_rule_says(h, tmp_path):
    d = tmp_path / "marks"
    d.mkdir()
    h.env.update(EXEC_ON)
    srv = h.serve("--workers", "4")

    def wf(work_script, tag):
        return {"name": "rules-" + tag, "steps": [
            step("work", work_script),
            step("on-fail", f"echo x >> {d}/{tag}.onfail", ["work"], trigger_rule="one_failed"),
            step("always", f"echo x >> {d}/{tag}.always", ["work"], trigger_rule="all_done"),
        ]}

    bad = h.run("workflow", "submit", "--file", str(write_wf(tmp_path, wf("exit 1", "bad"), "b.json")),
                check=True).stdout.strip()
    good = h.run("workflow", "submit", "--file", str(write_wf(tmp_path, wf("true", "good"), "g.json")),
                 check=True).stdout.strip()
    wb = wait_workflow(h, bad)
    wg = wait_workflow(h, good)
    assert states(wb) == {"work": "failed", "on-fail": "succeeded", "always": "succeeded"}
    assert wb["status"] == "failed"
    assert states(wg) == {"work": "succeeded", "on-fail": "skipped", "always": "succeeded"}
    assert wg["status"] == "succeeded"
    assert (d / "bad.onfail").exists() and (d / "bad.always").exists()
    assert not (d / "good.onfail").exists() and (d / "good.always").exists()
    assert srv.stop() == 0


def test_invalid_definitions_are_rejected_and_nothing_is_written(h, tmp_path):
    h.env.update(EXEC_ON)
    h.run("db", "migrate", check=True)
    cases = {
        "cycle: a -> b -> c -> a": [{"name": "a", "type": "noop", "depends_on": ["c"]},
                                    {"name": "b", "type": "noop", "depends_on": ["a"]},
                                    {"name": "c", "type": "noop", "depends_on": ["b"]}],
        "step 'b' depends on unknown step 'zz'": [{"name": "a", "type": "noop"},
                                                  {"name": "b", "type": "noop",
                                                   "depends_on": ["zz"]}],
        "unknown trigger_rule 'sometimes'": [{"name": "a", "type": "noop",
                                              "trigger_rule": "sometimes"}],
        "duplicate step name 'a'": [{"name": "a", "type": "noop"}, {"name": "a", "type": "noop"}],
        "unknown job type 'frob'": [{"name": "a", "type": "frob"}],
    }
    for i, (message, steps) in enumerate(cases.items()):
        r = h.run("workflow", "submit", "--file",
                  str(write_wf(tmp_path, {"name": "bad", "steps": steps}, f"bad{i}.json")))
        assert r.returncode == 2 and message in r.stderr, (message, r.stderr)
    srv = h.serve()
    status, _, body = srv.api("POST", "/api/v1/workflows",
                              {"steps": list(cases.values())[0]})
    assert status == 400 and "cycle: a -> b -> c -> a" in json.dumps(body), body
    assert h.json("workflow", "list") == []
    assert h.json("list") == []
    assert srv.stop() == 0


def test_yaml_with_params(h, tmp_path):
    h.run("db", "migrate", check=True)
    (tmp_path / "wf.yaml").write_text(
        "name: p\nsteps:\n  - name: first\n    type: noop\n    target: '{{vm}}'\n"
        "  - name: second\n    type: noop\n    depends_on: [first]\n")
    w = json.loads(h.run("workflow", "submit", "--file", str(tmp_path / "wf.yaml"),
                         "--param", "vm=web-1", "--json", check=True).stdout)
    assert [s["name"] for s in w["steps"]] == ["first", "second"]
    assert w["steps"][0]["target"] == "web-1"
    assert states(w) == {"first": "queued", "second": "waiting"}
    r = h.run("workflow", "submit", "--file", str(tmp_path / "wf.yaml"))
    assert r.returncode == 2 and "{{vm}}" in r.stderr


def test_kill_9_mid_workflow_then_restart_completes_with_no_step_succeeding_twice(h, tmp_path):
    d = tmp_path / "marks"
    d.mkdir()
    h.write_config("workers:\n  lease_ttl: 2s\n")
    h.env.update(EXEC_ON)
    srv = h.serve("--workers", "2")
    wf = {"name": "chain", "steps": [
        step("a", f"echo ok >> {d}/a.runs"),
        # A copy of b orphaned by the kill (its serve gone, the process reparented) must not
        # count as a success: it checks that its parent is still the serve that started it.
        step("b", f"touch {d}/b.started; sleep 3; "
                  f"[ \"$(cut -d' ' -f4 /proc/$$/stat)\" = \"$PPID\" ] || exit 0; "
                  f"echo ok >> {d}/b.runs", ["a"], retry={"max_retries": 3}),
        step("c", f"echo ok >> {d}/c.runs", ["b"]),
    ]}
    wid = h.run("workflow", "submit", "--file", str(write_wf(tmp_path, wf)),
                check=True).stdout.strip()
    wait_for(lambda: (d / "b.started").exists(), timeout=30, what="step b to start")
    srv.signal(signal.SIGKILL)
    srv.proc.wait()
    assert h.json("workflow", "show", "--id", wid)["status"] == "running"
    srv2 = h.serve("--workers", "2")
    w = wait_workflow(h, wid, timeout=90)
    assert w["status"] == "succeeded", w
    for s in ("a", "b", "c"):
        assert (d / f"{s}.runs").read_text() == "ok\n", s
    assert srv2.stop() == 0


def test_the_cli_works_the_same_through_a_server(h, tmp_path):
    srv = h.serve()
    remote = ("--server", srv.url)
    (tmp_path / "wf.yaml").write_text(
        "name: r\nsteps:\n  - {name: first, type: noop, target: '{{vm}}'}\n"
        "  - {name: second, type: noop, depends_on: [first]}\n")
    wid = h.run(*remote, "workflow", "submit", "--file", str(tmp_path / "wf.yaml"),
                "--param", "vm=db-2", check=True).stdout.strip()
    w = wait_workflow(h, wid)
    assert w["status"] == "succeeded" and w["steps"][0]["target"] == "db-2"
    shown = json.loads(h.run(*remote, "workflow", "show", "--id", wid, "--json",
                             check=True).stdout)
    assert shown["id"] == wid and states(shown) == {"first": "succeeded", "second": "succeeded"}
    assert [x["id"] for x in json.loads(h.run(*remote, "workflow", "list", "--json",
                                              check=True).stdout)] == [wid]
    r = h.run(*remote, "workflow", "cancel", "--id", wid)
    assert r.returncode != 0 and "already finished" in r.stderr
    (tmp_path / "bad.yaml").write_text("steps:\n  - {name: a, type: noop, depends_on: [a]}\n")
    r = h.run(*remote, "workflow", "submit", "--file", str(tmp_path / "bad.yaml"))
    assert r.returncode == 2 and "step 'a' depends on itself" in r.stderr
    assert srv.stop() == 0

"""Bulk submit (issue 14 item 2): POST /api/v1/jobs:batch and `submit --file jobs.jsonl`, in
local mode and through a server; one answer per request, bad requests refused alone."""
import json

from conftest import wait_for


def statuses(h, ids):
    return [h.json("query", "--id", j)["status"] for j in ids]


def test_batch_endpoint_answers_each_request_in_order_and_runs_the_accepted(h):
    srv = h.serve("--workers", "2")
    body = [{"type": "noop"}, {"type": "nope"}, {"type": "noop", "idempotency_key": "k1"},
            42, {"type": "noop", "idempotency_key": "k1"}]
    status, _, answer = srv.api("POST", "/api/v1/jobs:batch", body)
    assert status == 200, answer
    assert answer["accepted"] == 3 and answer["rejected"] == 2, answer
    r = answer["results"]
    assert len(r) == 5
    assert r[1]["error"]["code"] == "invalid" and "'nope'" in r[1]["error"]["message"], r[1]
    assert r[3]["error"]["code"] == "invalid" and "JSON object" in r[3]["error"]["message"]
    # The same idempotency key twice in one batch: one job.
    assert r[4]["job"]["id"] == r[2]["job"]["id"]
    ids = [r[0]["job"]["id"], r[2]["job"]["id"]]
    assert ids[0] != ids[1]
    wait_for(lambda: statuses(h, ids) == ["succeeded", "succeeded"], timeout=30,
             what="the accepted jobs to succeed")
    # The object form is the same batch.
    status, _, answer = srv.api("POST", "/api/v1/jobs:batch", {"jobs": [{"type": "noop"}]})
    assert status == 200 and answer["accepted"] == 1, answer


def test_batch_endpoint_refuses_what_is_not_a_batch_naming_the_rule(h):
    srv = h.serve("--workers", "1")
    for body, words in [({}, "array of job requests"), ([], "at least one job"),
                        ({"jobs": 1}, "array of job requests"),
                        ([{"type": "noop"}] * 10001, "at most 10000 jobs")]:
        status, _, answer = srv.api("POST", "/api/v1/jobs:batch", body)
        assert status == 400, (body if len(str(body)) < 100 else "10001 jobs", answer)
        assert words in answer["error"]["message"], answer
    status, _, answer = srv.api("POST", "/api/v1/jobs:batch", b"[{\"type\": ")
    assert status == 400 and answer["error"]["code"] == "invalid", answer
    status, _, page = srv.api("GET", "/api/v1/jobs?limit=10")
    assert page["jobs"] == []


def test_submit_file_jsonl_in_local_mode_queues_every_line_in_order(h, tmp_path):
    f = tmp_path / "jobs.jsonl"
    f.write_text("".join(json.dumps({"type": "noop", "priority": i % 3}) + "\n" for i in range(300))
                 + "\n")  # a blank line is skipped
    r = h.run("submit", "--file", str(f))
    assert r.returncode == 0, r.stderr
    ids = r.stdout.split()
    assert len(ids) == 300
    nums = [int(i[2:]) for i in ids]
    assert nums == sorted(nums) and len(set(nums)) == 300
    assert len(h.json("list", "--status", "queued", "--limit", "1000")) == 300
    # The jobs run once a server starts.
    h.serve("--workers", "2")
    wait_for(lambda: all(s == "succeeded" for s in statuses(h, ids[:3] + ids[-3:])),
             timeout=60, what="the file's jobs to run")


def test_submit_file_jsonl_refuses_bad_lines_and_flags_clearly(h, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"type": "noop"}\n{"type": "noop"}\n{"type": \n')
    r = h.run("submit", "--file", str(broken))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "broken.jsonl:3" in r.stderr, r.stderr
    assert h.json("list") == []  # nothing queued from a file that does not parse

    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"type": "noop"}\n{"type": "nope"}\n{"type": "noop"}\n')
    r = h.run("submit", "--file", str(mixed))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "job 2:" in r.stderr and "'nope'" in r.stderr, r.stderr
    assert len(r.stdout.split()) == 2  # the two good lines were queued

    r = h.run("submit", "--file", str(mixed), "--type", "noop")
    assert r.returncode == 2 and "holds many jobs" in r.stderr, r.stderr


def test_submit_file_jsonl_goes_through_a_running_server(h, tmp_path):
    srv = h.serve("--workers", "2")
    f = tmp_path / "jobs.jsonl"
    f.write_text("".join(json.dumps({"type": "noop"}) + "\n" for _ in range(50)))
    r = h.run("submit", "--file", str(f), "--json")
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert answer["accepted"] == 50 and answer["rejected"] == 0
    ids = [x["job"]["id"] for x in answer["results"]]
    wait_for(lambda: all(s == "succeeded" for s in statuses(h, ids[:2] + ids[-2:])),
             timeout=60, what="the jobs to run")
    # Through the server's API: its request log names the batch route.
    assert "/api/v1/jobs:batch" in srv.output()

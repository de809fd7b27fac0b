"""The workflow answer's size: ?steps=summary leaves the steps out (for clients that follow
only the status), the default lists every step, and a bad value is a 400 naming it."""
import json

NOOP_CHAIN = {"name": "c", "steps": [{"name": "a", "type": "noop"},
                                     {"name": "b", "type": "noop", "depends_on": ["a"]},
                                     {"name": "c", "type": "noop", "depends_on": ["b"]}]}


def test_summary_answer_leaves_the_steps_out_and_the_default_keeps_them(h):
    srv = h.serve("--workers", "2")
    status, _, full = srv.api("POST", "/api/v1/workflows", NOOP_CHAIN)
    assert status == 201, full
    assert [s["name"] for s in full["steps"]] == ["a", "b", "c"]
    status, _, short = srv.api("POST", "/api/v1/workflows?steps=summary", NOOP_CHAIN)
    assert status == 201, short
    assert "steps" not in short
    assert short["status"] == "running" and short["id"].startswith("w-")
    assert sum(short["step_counts"].values()) == 3
    # Every other field is the default answer's.
    assert set(short) == set(full) - {"steps"}
    status, _, got = srv.api("GET", "/api/v1/workflows/" + short["id"] + "?steps=summary")
    assert status == 200 and "steps" not in got and sum(got["step_counts"].values()) == 3
    status, _, got = srv.api("GET", "/api/v1/workflows/" + short["id"] + "?steps=all")
    assert status == 200 and [s["name"] for s in got["steps"]] == ["a", "b", "c"]
    assert srv.stop() == 0


def test_a_bad_steps_value_is_rejected_and_nothing_is_written(h):
    srv = h.serve()
    status, _, body = srv.api("POST", "/api/v1/workflows?steps=some", NOOP_CHAIN)
    assert status == 400, body
    assert "'steps'" in json.dumps(body) and "some" in json.dumps(body), body
    status, _, listed = srv.api("GET", "/api/v1/workflows")
    assert status == 200 and listed["workflows"] == []
    status, _, body = srv.api("GET", "/api/v1/workflows/w-1?steps=none")
    assert status == 400 and "none" in json.dumps(body), body
    assert srv.stop() == 0

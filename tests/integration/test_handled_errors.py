"""Errors the server handles itself are not swallowed: a stored value this binary cannot read
is logged and counted in hypersdk_internal_errors_total, and a malformed Last-Event-ID is a
400 that names the header rather than a silent replay from the start."""
import json
import re
import sqlite3

from conftest import wait_for


def internal_errors(srv, component):
    status, _, body = srv.request("GET", "/api/v1/metrics")
    assert status == 200
    pattern = re.compile(r'^hypersdk_internal_errors_total\{component="%s"\} (\S+)$' % component)
    for line in body.decode().splitlines():
        m = pattern.match(line)
        if m:
            return float(m.group(1))
    return 0.0


def test_an_unreadable_stored_status_is_logged_counted_and_read_as_failed(h):
    srv = h.serve()
    job_id = h.submit("--type", "noop")
    wait_for(lambda: h.json("query", "--id", job_id)["status"] == "succeeded", what="noop done")
    assert internal_errors(srv, "stored_value") == 0
    # As a newer binary (or a hand edit) might leave it.
    with sqlite3.connect(h.db) as db:
        db.execute("UPDATE jobs SET status = 'hibernating' WHERE id = ?", (int(job_id[2:]),))
    status, _, body = srv.api("GET", f"/api/v1/jobs/{job_id}")
    assert status == 200
    assert body["status"] == "failed"  # neither runnable nor active
    assert internal_errors(srv, "stored_value") >= 1
    wait_for(lambda: "a stored value cannot be read" in srv.output(), timeout=5, what="the log line")
    line = next(l for l in srv.output().splitlines() if "a stored value cannot be read" in l)
    assert "hibernating" in line and "jobs.status" in line
    srv.stop()


def test_a_malformed_last_event_id_is_a_400_naming_the_header(h):
    srv = h.serve()
    job_id = h.submit("--type", "noop")
    wait_for(lambda: h.json("query", "--id", job_id)["status"] == "succeeded", what="noop done")
    for bad in ("12abc", "-1", "x", "99999999999999999999999"):
        status, _, body = srv.request("GET", f"/api/v1/jobs/{job_id}/logs?follow=1",
                                      headers={"Last-Event-ID": bad})
        assert status == 400, (bad, status, body)
        assert "Last-Event-ID" in json.loads(body)["error"]["message"]
    # A well-formed one still resumes the stream.
    status, _, body = srv.request("GET", f"/api/v1/jobs/{job_id}/logs?follow=1",
                                  headers={"Last-Event-ID": "0"})
    assert status == 200
    srv.stop()


def test_an_unreadable_schedule_policy_is_logged_with_the_column_and_read_as_the_default(h):
    assert h.run("db", "migrate").returncode == 0
    h.run("schedule", "create", "--name", "nightly", "--cron", "0 2 * * *", "--type", "noop",
          check=True)
    with sqlite3.connect(h.db) as db:
        db.execute("UPDATE schedules SET overlap = 'sometimes' WHERE name = 'nightly'")
    r = h.run("schedule", "show", "--name", "nightly", check=True)
    assert re.search(r"Overlap:\s+skip", r.stdout), r.stdout
    assert "a stored value cannot be read" in r.stderr
    assert "schedules.overlap" in r.stderr and "sometimes" in r.stderr

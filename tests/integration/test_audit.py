"""The audit trail (issue 15 item 5): every mutating action through the API or the CLI is
recorded with actor, action, target, request id and time; `hypersdk audit list` and
GET /api/v1/audit read it back with filters."""
import json
import signal

from conftest import wait_for


def entries(h, *args):
    return h.json("audit", "list", *args)


def test_cli_actions_on_the_database_are_recorded_with_the_local_user(h):
    job = h.submit("--type", "noop")
    assert h.run("cancel", "--id", job).returncode == 0
    h.run("schedule", "create", "--name", "nightly", "--cron", "0 2 * * *", "--type", "noop", check=True)
    h.run("schedule", "pause", "--name", "nightly", check=True)
    h.run("schedule", "delete", "--name", "nightly", check=True)
    got = entries(h)
    actions = [(e["action"], e["subject"]) for e in got]
    assert actions == [("schedules.delete", "nightly"), ("schedules.pause", "nightly"),
                       ("schedules.create", "nightly"), ("jobs.cancel", job), ("jobs.create", job)], got
    for e in got:
        assert e["source"] == "cli" and "uid" in e["actor"] and e["request_id"] is None, e
        assert e["at"].endswith("Z")
    # Reading is not an action.
    h.run("list", check=True)
    assert len(entries(h)) == len(got)
    assert [e["action"] for e in entries(h, "--action", "jobs.cancel")] == ["jobs.cancel"]
    assert entries(h, "--actor", "nobody") == []
    assert entries(h, "--since", "2999-01-01T00:00:00Z") == []
    assert len(entries(h, "--since", "2000-01-01T00:00:00Z")) == len(got)
    bad = h.run("audit", "list", "--since", "yesterday")
    assert bad.returncode == 2 and "since" in bad.stderr and "'yesterday'" in bad.stderr


def token(h, name, role):
    return h.json("token", "create", "--name", name, "--role", role)


def test_api_actions_name_the_token_and_the_request_and_refusals_are_recorded(h):
    op, rd, adm = token(h, "deployer", "operate"), token(h, "viewer", "read"), token(h, "root", "admin")
    h.write_config("api:\n  tokens:\n" + "".join(f"    - {t['config_line'][2:]}\n" for t in (op, rd, adm)))
    srv = h.serve()
    auth = lambda t: {"Authorization": "Bearer " + t["token"]}
    status, hdrs, body = srv.api("POST", "/api/v1/jobs", {"type": "noop", "run_at": "2099-01-01T00:00:00Z"},
                                 headers={**auth(op), "X-Request-ID": "req-submit-1"})
    assert status == 201, body
    job = body["id"]
    status, _, _ = srv.api("POST", "/api/v1/jobs", {"type": "noop"}, headers=auth(rd))
    assert status == 403
    status, _, _ = srv.api("POST", f"/api/v1/jobs/{job}/cancel", {}, headers=auth(op))
    assert status == 200
    # A request that changes nothing (400) is not an action.
    status, _, _ = srv.api("POST", "/api/v1/jobs", {"type": "no-such-type"}, headers=auth(op))
    assert status == 400
    # Reading the trail needs admin.
    status, _, _ = srv.api("GET", "/api/v1/audit", headers=auth(rd))
    assert status == 403
    status, _, body = srv.api("GET", "/api/v1/audit?actor=token:deployer", headers=auth(adm))
    assert status == 200, body
    by_action = {e["action"]: e for e in body["entries"]}
    assert set(by_action) == {"jobs.create", "jobs.cancel"}, body
    create = by_action["jobs.create"]
    assert create["subject"] == job and create["request_id"] == "req-submit-1"
    assert create["source"] == "api" and create["details"]["route"] == "/api/v1/jobs"
    status, _, body = srv.api("GET", "/api/v1/audit?action=auth.denied", headers=auth(adm))
    denied = body["entries"]
    assert len(denied) == 2 and {e["actor"] for e in denied} == {"token:viewer"}, denied
    assert {e["details"]["action"] for e in denied} == {"jobs.create", "audit.read"}
    # Through the CLI the token names the actor and the local user comes along.
    r = h.run("--server", srv.url, "--token", op["token"], "submit", "--type", "noop")
    assert r.returncode == 0, r.stderr
    cli_job = r.stdout.strip()
    r = h.run("--server", srv.url, "--token", adm["token"], "audit", "list", "--json", "--actor", "token:deployer")
    assert r.returncode == 0, r.stderr
    newest = json.loads(r.stdout)[0]
    assert newest["subject"] == cli_job and "uid" in newest["details"]["requested_by"], newest


def test_config_reloads_are_recorded(h):
    srv = h.serve()
    trail = lambda action: srv.api("GET", "/api/v1/audit?action=" + action)[2]["entries"]
    srv.signal(signal.SIGHUP)
    wait_for(lambda: trail("config.reload"), what="the reload entry")
    h.write_config("log:\n  level: [not, a, level]\n")
    srv.signal(signal.SIGHUP)
    failed = wait_for(lambda: trail("config.reload_failed"), what="the failed reload entry")
    assert failed[0]["actor"] == "signal:SIGHUP" and failed[0]["source"] == "serve"
    assert "log.level" in failed[0]["details"]["error"]
    assert srv.stop() == 0

"""Notifications (issue 10, DESIGN §8) against real receivers on loopback: the spec-shaped,
Standard-Webhooks-signed webhook (verified by the npm `standardwebhooks` package), retries
with Retry-After, 4xx not retried, the SSRF guard, the spec's routing table, Slack pacing, and
the outbox surviving kill -9."""
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import wait_for
from notify_receiver import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VERIFY = str(Path(__file__).resolve().parent / "verify_webhook.js")
EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}


@pytest.fixture
def rx():
    r = Receiver()
    yield r
    r.close()


def webhook_config(url, extra="", retry="", routes=None):
    routes = routes or "    - match: {event: job.completed}\n      receivers: [hook]\n"
    return (
        "notifications:\n"
        "  receivers:\n"
        "    hook:\n"
        "      type: webhook\n"
        f"      url: {url}\n"
        f"      secret: env:HOOK_SECRET\n"
        "      allow_private: true\n"
        f"{extra}"
        "  routes:\n"
        f"{routes}"
        "  retry:\n"
        "    base: 100ms\n"
        "    cap: 1s\n"
        f"{retry}"
    )


def env():
    return {"HOOK_SECRET": SECRET}


def verify(secret, req, body=None):
    headers = {k: v for k, v in req["headers"].items() if k.startswith("webhook-")}
    p = subprocess.run(["node", VERIFY], input=json.dumps(
        {"secret": secret, "headers": headers, "body": req["body"] if body is None else body}),
        capture_output=True, text=True, timeout=30)
    return p.returncode == 0, p.stdout + p.stderr


def deliveries(h, *args):
    return h.json("notify", "list", "--local", *args)


def test_webhook_payload_has_the_spec_shape_and_its_signature_verifies(h, rx):
    h.write_config(webhook_config(rx.url + "/hook", extra="      headers: {X-Team: ops}\n"))
    srv = h.serve(env=env())
    try:
        job = h.submit("--type", "noop", "--target", "prod-web-01")
        wait_for(lambda: rx.received("/hook"), what="the webhook")
        req = rx.received("/hook")[0]
        body = json.loads(req["body"])
        assert body["event"] == "job.completed"
        assert body["timestamp"].endswith("Z") and body["timestamp"][10] == "T"
        assert body["job"]["id"] == job and body["job"]["type"] == "noop"
        assert body["job"]["status"] == "completed" and body["job"]["vm_name"] == "prod-web-01"
        assert isinstance(body["job"]["duration_seconds"], int)
        assert "signature" not in body  # the legacy in-body signature is opt-in
        assert req["headers"]["x-team"] == "ops"
        assert req["headers"]["webhook-id"] == body["id"]
        ok, out = verify(SECRET, req)
        assert ok, out
        tampered = req["body"].replace('"noop"', '"exec"')
        assert tampered != req["body"]
        ok, out = verify(SECRET, req, body=tampered)
        assert not ok and "rejected" in out
        ok, _ = verify("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=", req)
        assert not ok  # another secret does not verify it either
    finally:
        srv.stop()


def test_503_twice_then_200_is_one_delivery_with_three_attempts(h, rx):
    rx.script["/hook"] = [(503, {}), (503, {}), (200, {})]
    h.write_config(webhook_config(rx.url + "/hook"))
    srv = h.serve(env=env())
    try:
        h.submit("--type", "noop")
        wait_for(lambda: [d for d in deliveries(h) if d["status"] == "delivered"], what="delivery")
        reqs = rx.received("/hook")
        assert len(reqs) == 3
        assert len({r["headers"]["webhook-id"] for r in reqs}) == 1  # same id: receivers de-dup
        d = deliveries(h)[0]
        assert d["attempts"] == 3
        shown = h.json("notify", "show", "--local", "--id", str(d["id"]))
        assert [a.get("http_status") for a in shown["history"]] == [503, 503, 200]
    finally:
        srv.stop()


def test_a_receivers_own_retry_settings_override_the_global_ones(h, rx):
    rx.script["/hook"] = [(503, {})]
    # Globally 8 attempts; this receiver gives up after 2.
    h.write_config(webhook_config(rx.url + "/hook",
                                  extra="      retry: {max_attempts: 2, base: 100ms, cap: 200ms}\n"))
    srv = h.serve(env=env())
    try:
        h.submit("--type", "noop")
        failed = wait_for(lambda: h.json("notify", "list", "--local", "--status=failed"),
                          what="the delivery to fail")
        assert failed[0]["attempts"] == 2, failed
        assert len(rx.received("/hook")) == 2
    finally:
        srv.stop()
    h.write_config(webhook_config(rx.url + "/hook", extra="      retry: {max_attempts: 0}\n"))
    r = h.run("config", "validate")
    assert r.returncode == 2 and "notifications.receivers.hook.retry.max_attempts" in r.stderr, \
        r.stderr


def test_429_with_retry_after_waits_at_least_that_long(h, rx):
    rx.script["/hook"] = [(429, {"Retry-After": "2"}), (200, {})]
    h.write_config(webhook_config(rx.url + "/hook"))
    srv = h.serve(env=env())
    try:
        h.submit("--type", "noop")
        wait_for(lambda: len(rx.received("/hook")) >= 2, what="the second attempt")
        first, second = rx.received("/hook")[:2]
        assert second["at"] - first["at"] >= 2.0
        wait_for(lambda: deliveries(h)[0]["status"] == "delivered", what="delivered")
    finally:
        srv.stop()


def test_400_is_not_retried_and_shows_as_failed(h, rx):
    rx.script["/hook"] = [(400, {})]
    h.write_config(webhook_config(rx.url + "/hook"))
    srv = h.serve(env=env())
    try:
        h.submit("--type", "noop")
        failed = wait_for(lambda: h.json("notify", "list", "--status=failed"), what="failed")
        assert failed[0]["receiver"] == "hook" and failed[0]["attempts"] == 1
        assert "HTTP 400" in failed[0]["last_error"]
        time.sleep(1.0)  # several retry periods (base 100ms): still one request
        assert len(rx.received("/hook")) == 1
        # The text list names it too, read through the running server like every read
        # command, and the API says the same.
        r = h.run("notify", "list", "--status=failed", "--verbose", check=True)
        assert "using the server at" in r.stderr, r.stderr
        assert "job.completed" in r.stdout and "hook" in r.stdout and "failed" in r.stdout
        status, _, body = srv.api("GET", "/api/v1/notifications?status=failed")
        assert status == 200 and body["notifications"][0]["id"] == failed[0]["id"]
        # An operator's retry sends it again.
        rx.script["/hook"] = [(200, {})]
        rx.served["/hook"] = 0
        r = h.run("notify", "retry", "--id", str(failed[0]["id"]), "--verbose", check=True)
        assert "using the server at" in r.stderr, r.stderr
        wait_for(lambda: deliveries(h, "--status=delivered"), what="the retried delivery")
    finally:
        srv.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254"])
def test_private_addresses_are_refused_unless_allowed(h, rx, host):
    url = rx.url.replace("127.0.0.1", host) + "/hook"
    cfg = webhook_config(url, retry="    max_attempts: 1\n").replace(
        "      allow_private: true\n", "")
    h.write_config(cfg)
    r = h.run("notify", "test", "hook", env=env())
    assert r.returncode != 0
    assert f"refused to connect to the private address {host}" in r.stdout + r.stderr
    srv = h.serve(env=env())
    try:
        h.submit("--type", "noop")
        failed = wait_for(lambda: deliveries(h, "--status=failed"), what="a refused delivery")
        assert "private address " + host in failed[0]["last_error"]
        assert rx.received() == []
    finally:
        srv.stop()
    if host == "127.0.0.1":  # allowed: the same URL reaches the receiver
        h.write_config(webhook_config(url))
        r = h.run("notify", "test", "hook", env=env())
        assert r.returncode == 0 and "HTTP 200" in r.stdout, r.stdout + r.stderr
        assert rx.bodies("/hook")[0]["event"] == "system.test"


def test_the_specs_routing_table_reaches_exactly_the_receivers_it_names(h, rx):
    h.write_config(
        "notifications:\n"
        "  receivers:\n"
        f"    slack-ops-critical: {{type: slack, url: {rx.url}/critical, allow_private: true, rate_per_second: 0}}\n"
        f"    pagerduty: {{type: pagerduty, url: {rx.url}/pd, routing_key: env:PD_KEY, allow_private: true}}\n"
        f"    slack-ops-alerts: {{type: slack, url: {rx.url}/alerts, allow_private: true, rate_per_second: 0}}\n"
        f"    slack-ops-log: {{type: slack, url: {rx.url}/log, allow_private: true, rate_per_second: 0}}\n"
        "  routes:\n"
        "    - match: {event: job.failed, retries_exhausted: true}\n"
        "      receivers: [slack-ops-critical, pagerduty]\n"
        "    - match: {event: job.failed, final: false}\n"
        "      receivers: [slack-ops-alerts]\n"
        "    - match: {event: job.completed}\n"
        "      receivers: [slack-ops-log]\n"
        "    - match: {event: schedule.missed}\n"
        "      receivers: [slack-ops-alerts]\n"
        "retry:\n  base: 100ms\n")
    srv = h.serve(env={**EXEC_ON, "PD_KEY": "R0UTINGKEY"})
    try:
        ok = h.submit("--type", "noop")
        bad = h.submit("--type", "exec", "--retry-max", "1", "--", "/bin/sh", "-c", "exit 75")
        wait_for(lambda: h.json("query", "--id", bad)["status"] == "failed", what="the failure")
        # schedule.missed as the scheduler writes it (store/sqlite_schedule_fire.cpp).
        with sqlite3.connect(h.db) as c:
            c.execute("INSERT INTO events (kind, severity, subject, payload, created_at)"
                      " VALUES ('schedule.missed', 'warning', 'nightly',"
                      " '{\"schedule\":\"nightly\",\"reason\":\"server_down\",\"count\":1}', 0)")
        wait_for(lambda: len(rx.received()) >= 5, what="five messages")
        time.sleep(1.0)  # nothing else arrives
        assert len(rx.received()) == 5, rx.received()
        log, alerts = rx.bodies("/log"), rx.bodies("/alerts")
        assert len(log) == 1 and ok in log[0]["text"]
        assert log[0]["attachments"][0]["color"] == "good"
        assert len(alerts) == 2
        assert {a["text"].split(":")[0] for a in alerts} == {"job.failed", "schedule.missed"}
        assert all(a["attachments"][0]["color"] in ("warning", "danger") for a in alerts)
        crit = rx.bodies("/critical")
        assert len(crit) == 1 and bad in crit[0]["text"]
        assert crit[0]["attachments"][0]["color"] == "danger"
        pd = rx.bodies("/pd")
        assert len(pd) == 1 and pd[0]["event_action"] == "trigger"
        assert pd[0]["routing_key"] == "R0UTINGKEY" and pd[0]["dedup_key"] == f"hypersdk/job/{bad}"
        assert pd[0]["payload"]["severity"] == "critical"
    finally:
        srv.stop()


def test_a_burst_of_200_to_slack_is_paced_and_none_is_dropped(h, rx):
    rate = 40
    h.write_config(
        "notifications:\n"
        "  receivers:\n"
        f"    slack: {{type: slack, url: {rx.url}/slack, allow_private: true, rate_per_second: {rate}}}\n"
        "  routes:\n"
        "    - match: {event: job.completed}\n"
        "      receivers: [slack]\n"
        "api:\n  rate_limit: {requests_per_second: 10000, burst: 10000}\n")
    srv = h.serve()
    try:
        for _ in range(200):
            status, _, _ = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
            assert status in (200, 201)
        wait_for(lambda: len(rx.received("/slack")) >= 200, timeout=120, what="200 messages")
        times = sorted(r["at"] for r in rx.received("/slack"))
        assert len(times) == 200
        # No second holds more than the rate (+1 for the window's edge).
        worst = max(sum(1 for t in times if s <= t < s + 1.0) for s in times)
        assert worst <= rate + 1, worst
        assert times[-1] - times[0] >= (200 - 1) / rate - 0.5
        texts = {b["text"] for b in rx.bodies("/slack")}
        assert len(texts) == 200  # every job once
    finally:
        srv.stop()


def test_fifty_pending_deliveries_survive_kill_9(h, rx):
    rx.script["/hook"] = [(503, {})]
    h.write_config(webhook_config(rx.url + "/hook", retry="    max_attempts: 100\n") +
                   "api:\n  rate_limit: {requests_per_second: 10000, burst: 10000}\n")
    srv = h.serve(env=env())
    for _ in range(50):
        status, _, _ = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
        assert status in (200, 201)
    wait_for(lambda: len(deliveries(h, "--status=pending", "--limit", "100")) == 50,
             what="50 pending deliveries")
    srv.kill()
    rx.script["/hook"] = [(200, {})]
    rx.served.clear()
    before = len(rx.received("/hook"))
    srv = h.serve(env=env())
    try:
        wait_for(lambda: len(deliveries(h, "--status=delivered", "--limit", "100")) == 50,
                 timeout=60, what="all 50 delivered after the restart")
        after = rx.received("/hook")[before:]
        ids = {r["headers"]["webhook-id"] for r in after if r["path"] == "/hook"}
        assert len(ids) == 50
    finally:
        srv.stop()


def test_invalid_notification_config_is_refused_naming_the_key(h):
    h.write_config(
        "notifications:\n"
        "  receivers:\n"
        "    hook: {type: webhok, url: http://example.com}\n"
        "  routes:\n"
        "    - match: {event: job.failed}\n"
        "      receivers: [nobody]\n")
    r = h.run("config", "validate")
    assert r.returncode == 2
    assert "notifications.receivers.hook.type" in r.stderr and "webhok" in r.stderr
    h.write_config(
        "notifications:\n"
        "  receivers:\n"
        "    hook: {type: webhook, url: http://example.com}\n"
        "  routes:\n"
        "    - match: {event: job.failed}\n"
        "      receivers: [nobody]\n")
    srv_r = h.run("serve", "--listen", "127.0.0.1:1", timeout=30)
    assert srv_r.returncode == 2
    assert "notifications.routes[0].receivers: unknown receiver 'nobody'" in srv_r.stderr


def test_secrets_are_not_shown_by_config_show(h):
    h.write_config(webhook_config("http://example.com/hook?token=s3cr3t").replace(
        "env:HOOK_SECRET", "whsec_c2VjcmV0c2VjcmV0"))
    out = h.run("config", "show", env=env()).stdout
    assert "s3cr3t" not in out and "c2VjcmV0c2VjcmV0" not in out
    assert "notifications.receivers" in out


def test_pagerduty_and_opsgenie_resolve_when_the_job_later_succeeds(h, rx, tmp_path):
    h.write_config(
        "notifications:\n"
        "  receivers:\n"
        f"    pd: {{type: pagerduty, url: {rx.url}/pd, routing_key: KEY, allow_private: true}}\n"
        f"    og: {{type: opsgenie, url: {rx.url}/v2/alerts, api_key: env:OG_KEY, allow_private: true}}\n"
        "  routes:\n"
        "    - match: {event: [job.failed, job.completed]}\n"
        "      receivers: [pd, og]\n"
        "retry:\n  base: 100ms\n")
    srv = h.serve(env={**EXEC_ON, "OG_KEY": "GENIE"})
    try:
        flag = tmp_path / "second-time"
        job = h.submit("--type", "exec", "--retry-max", "1", "--", "/bin/sh", "-c",
                       f"test -f {flag} || {{ touch {flag}; exit 75; }}")
        wait_for(lambda: len(rx.received()) >= 4, what="trigger and resolve, create and close")
        pd = rx.bodies("/pd")
        assert [p["event_action"] for p in pd] == ["trigger", "resolve"]
        assert pd[0]["dedup_key"] == pd[1]["dedup_key"] == f"hypersdk/job/{job}"
        assert pd[0]["payload"]["severity"] == "warning"  # retrying, not final
        created = rx.received("/v2/alerts")
        assert len(created) == 1 and created[0]["headers"]["authorization"] == "GenieKey GENIE"
        alias = json.loads(created[0]["body"])["alias"]
        assert alias == f"hypersdk/job/{job}"
        closed = [r for r in rx.received() if r["path"].endswith("/close?identifierType=alias")]
        assert len(closed) == 1 and closed[0]["path"].startswith("/v2/alerts/hypersdk%2Fjob%2F")
    finally:
        srv.stop()


def test_disk_low_is_raised_once_per_filesystem_and_routed(h, rx):
    # A threshold of 100% makes any real filesystem "low": the check, the event and its route
    # are real; only the threshold is extreme.
    h.write_config(webhook_config(
        rx.url + "/hook",
        routes="    - match: {event: system.disk_low}\n      receivers: [hook]\n") +
        "  disk_low_percent: 100\n")
    srv = h.serve(env=env())
    try:
        wait_for(lambda: len(rx.received("/hook")) >= 2, what="two disk_low events")
        time.sleep(1.0)
        bodies = rx.bodies("/hook")
        assert len(bodies) == 2  # once per filesystem, not on every check
        assert {b["path_kind"] for b in bodies} == {"database", "export"}
        for b in bodies:
            assert b["event"] == "system.disk_low" and b["threshold_percent"] == 100
            assert 0 <= b["free_percent"] < 100 and b["size_bytes"] > 0
            assert b["severity"] in ("warning", "critical")
    finally:
        srv.stop()


def test_sighup_reloads_receivers_and_routes_and_keeps_them_on_a_broken_config(h, rx):
    h.write_config(webhook_config(rx.url + "/before"))
    srv = h.serve(env=env())
    try:
        h.submit("--type", "noop")
        wait_for(lambda: rx.received("/before"), what="the first route")
        h.write_config(webhook_config(rx.url + "/after"))
        mark = len(srv.output())
        srv.signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in srv.output()[mark:], what="the reload")
        h.submit("--type", "noop")
        wait_for(lambda: rx.received("/after"), what="the reloaded receiver")
        assert len(rx.received("/before")) == 1
        # A route to a receiver that does not exist: the reload fails, the old routes stay.
        h.write_config(webhook_config(rx.url + "/after").replace("receivers: [hook]",
                                                                 "receivers: [nobody]"))
        mark = len(srv.output())
        srv.signal(signal.SIGHUP)
        wait_for(lambda: "unknown receiver 'nobody'" in srv.output()[mark:], what="the refusal")
        h.submit("--type", "noop")
        wait_for(lambda: len(rx.received("/after")) == 2, what="delivery on the old routes")
    finally:
        srv.stop()


def test_a_slow_receiver_delays_only_itself(h, rx):
    # Each of /slow's answers takes 3 s; /fast answers at once. Sent one after another, fast's
    # third delivery would wait behind slow's first two (6 s and more).
    rx.script["/slow"] = [(200, {}, 3)]
    extra_receiver = (
        "    fast:\n"
        "      type: webhook\n"
        f"      url: {rx.url}/fast\n"
        "      allow_private: true\n")
    cfg = webhook_config(rx.url + "/slow",
                         routes="    - match: {event: job.completed}\n      receivers: [hook, fast]\n")
    h.write_config(cfg.replace("  routes:\n", extra_receiver + "  routes:\n", 1))
    srv = h.serve(env=env())
    try:
        for _ in range(3):
            h.submit("--type", "noop")
        fast = wait_for(lambda: len(rx.received("/fast")) >= 3 and rx.received("/fast"),
                        what="three deliveries to the fast receiver")
        slow = rx.received("/slow")
        assert slow, "the slow receiver got its first delivery"
        assert fast[2]["at"] - slow[0]["at"] < 2.5, (fast[2]["at"] - slow[0]["at"])
        # The slow one still gets all three, in order, none twice.
        wait_for(lambda: len(rx.received("/slow")) >= 3, timeout=30, what="slow deliveries")
        ids = [r["headers"]["webhook-id"] for r in rx.received("/slow")]
        assert ids == sorted(set(ids), key=ids.index) and len(ids) == 3
        wait_for(lambda: len(deliveries(h, "--status=delivered")) == 6, what="six delivered")
    finally:
        srv.stop()

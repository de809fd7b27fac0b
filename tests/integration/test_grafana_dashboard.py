"""packaging/grafana/hypersdk.json against a real Prometheus (Debian `prometheus`) scraping a
running serve that ran jobs (successes, a failure, a retry), has a dead letter and missed
schedule occurrences: every panel's PromQL, with Grafana's variables filled in, is valid and
returns data; the key panels return the numbers the server produced."""
import json
import math
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

from conftest import FakeClock, free_port, wait_for
from ops_support import Prometheus, wait_for_scheduler_ticks

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "packaging" / "grafana" / "hypersdk.json"
EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}
# What Grafana substitutes: the whole test fits in the range, a rate window of many scrapes.
VARIABLES = {"$__rate_interval": "2m", "$__range": "1h", "$instance": ".+"}


def panels():
    return [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]


def fill(expr):
    for k, v in VARIABLES.items():
        expr = expr.replace(k, v)
    return expr


def test_dashboard_shape():
    doc = json.loads(DASHBOARD.read_text())
    assert doc["uid"] == "hypersdk-overview" and doc["__inputs"][0]["name"] == "DS_PROMETHEUS"
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    titles = " ".join(p["title"] for p in panels()).lower()
    for topic in ("success rate", "failures", "queue", "duration", "missed", "fires", "disk",
                  "dead letters", "retries", "error class", "queued job age", "lateness"):
        assert topic in titles, topic
    for p in panels():
        assert p["targets"] and all("$instance" in t["expr"] for t in p["targets"]), p["title"]
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, p["title"]


def test_every_panel_returns_data_from_a_real_prometheus(h, tmp_path):
    assert shutil.which("prometheus"), "prometheus missing: make deps installs it"
    h.env.update(EXEC_ON)
    clock = FakeClock(h, "2025-06-01T10:00:30Z")
    for name, catchup in (("hourly", "none"), ("catching-up", "latest")):
        h.run("schedule", "create", "--name", name, "--cron", "0 * * * *", "--timezone", "UTC",
              "--type", "noop", "--catchup", catchup, "--catchup-window", "24h", check=True)
    srv = h.serve(*clock.args())
    wait_for_scheduler_ticks(srv)
    assert srv.stop() == 0
    # Down across 11:00, 12:00 and 13:00: "hourly" misses all three, "catching-up" runs 13:00
    # (and records the other two as superseded).
    clock.set("2025-06-01T13:30:00Z")
    srv = h.serve(*clock.args())
    # Its noop run ends before Prometheus starts: counted in no increase() below, so the success
    # rate is the exec jobs' alone.
    wait_for(lambda: [j["status"] for j in h.json("list")] == ["succeeded"], timeout=30,
             interval=0.2, what="the caught-up run to finish")

    port = free_port()
    prom = Prometheus(tmp_path, srv, port)

    def query(q):
        url = f"{prom.base}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"Prometheus rejected {q!r}: {e.read().decode()}")
        except OSError:
            return None
        assert body["status"] == "success", body
        return body["data"]["result"]

    def numbers(q):
        return [float(r["value"][1]) for r in (query(fill(q)) or [])]

    try:
        # Scraped before the jobs run, so their counters rise within the range (increase()).
        wait_for(lambda: query('hypersdk_jobs_total{type="exec",status="failed"} == 0'),
                 timeout=60, interval=0.5, what="Prometheus to scrape hypersdk")
        ok = [h.submit("--type", "exec", "--", "/bin/echo", "hi") for _ in range(3)]
        bad = h.submit("--type", "exec", "--retry-max", "0", "--", "/bin/sh", "-c", "exit 3")
        ids = ok + [bad]
        wait_for(lambda: all(j["status"] in ("succeeded", "failed")
                             for j in h.json("list", "--limit", "100") if j["id"] in ids),
                 timeout=60, interval=0.2, what="the jobs to finish")
        wait_for(lambda: query('hypersdk_jobs_total{type="exec",status="succeeded"} == 3')
                 and query('hypersdk_dead_letters == 1'),
                 timeout=30, interval=0.5, what="the finished jobs in Prometheus")

        empty = []
        for p in panels():
            for t in p["targets"]:
                result = wait_for(lambda: query(fill(t["expr"])) is not None, timeout=10,
                                  what="Prometheus to answer") and query(fill(t["expr"]))
                if not result:
                    empty.append(f'{p["title"]}: {t["expr"]}')
        assert not empty, "panels without data:\n" + "\n".join(empty)

        by_title = {p["title"]: p["targets"][0]["expr"] for p in panels()}
        # 3 of 4 exec jobs; increase() scales both series alike, up to rounding.
        rate = numbers(by_title["Success rate (range)"])
        assert len(rate) == 1 and abs(rate[0] - 0.75) < 1e-9, rate
        assert numbers(by_title["Dead letters"]) == [1.0]
        assert numbers(by_title["Up"]) == [1.0]
        failures = {r["metric"]["type"]: float(r["value"][1])
                    for r in query(fill(by_title["Failures by job type"]))}
        assert failures["exec"] > 0.5, failures  # increase() extrapolates: about 1
        missed = query(fill(by_title["Missed occurrences"]))
        assert {(r["metric"]["schedule"], r["metric"]["reason"]) for r in missed} == \
            {("hourly", "catchup_none"), ("catching-up", "superseded")}
        # The failed exec attempt (exit 3) is class internal; the zero series of the other
        # classes are there from the start.
        classes = {r["metric"]["class"]: float(r["value"][1])
                   for r in query(fill(by_title["Failures by error class"]))}
        assert classes["internal"] > 0.5 and classes["timeout"] == 0.0, classes
        # Nothing waits for a worker once the jobs are done.
        assert numbers(by_title["Oldest queued job age"]) == [0.0]
        # The caught-up 13:00 run fired at 13:30 (test clock): 1800 s late, on average too.
        lateness = [p for p in panels() if p["title"] == "Scheduler lateness"][0]["targets"][1]["expr"]
        late = {r["metric"]["schedule"]: float(r["value"][1]) for r in query(fill(lateness))}
        # (the test clock runs on from the time set, so the tick is a few ms after 13:30)
        assert set(late) == {"catching-up"} and 1800 <= late["catching-up"] < 1810, late
        fires = query(fill(by_title["Schedule fires"]))
        assert {r["metric"]["schedule"] for r in fires} == {"catching-up"}
        free = numbers(by_title["Database free disk"])
        assert len(free) == 1 and 0 < free[0] <= 1
        p95 = [v for v in numbers(panels()[[p["title"] for p in panels()].index(
            "Job duration p50 / p95")]["targets"][1]["expr"]) if not math.isnan(v)]
        assert p95 and all(v >= 0 for v in p95)
    finally:
        prom.stop()
    assert srv.stop() == 0

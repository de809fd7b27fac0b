"""The built-in web dashboard (issue 16 item 1) in a real browser: headless Debian chromium
driven by python3-selenium through chromium-driver, against a running serve with finished
jobs, a schedule and a failure. The page's own API calls carry the tab's bearer token."""
import json
import os
import secrets
import shutil
from pathlib import Path

import pytest

from conftest import BIN, wait_for

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = Path(os.environ.get("HYPERSDK_TEST_ARTIFACTS") or Path(BIN).resolve().parent / "test-artifacts")
# A loaded 2-core machine shared with other builds: waits are for positive signals, with room.
WAIT = 60


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def served(h):
    read_token, operate_token = secrets.token_hex(24), secrets.token_hex(24)
    h.write_config(
        "api:\n  tokens:\n"
        f"    - {{name: viewer, role: read, token: {read_token}}}\n"
        f"    - {{name: operator, role: operate, token: {operate_token}}}\n"
        "  rate_limit:\n    requests_per_second: 100000\n    burst: 100000\n"
        "jobs:\n  exec:\n    enabled: true\n")
    # Before serve, so the CLI writes the database itself (no token needed).
    h.run("schedule", "create", "--name", "nightly-backup", "--cron", "0 2 * * *", "--type", "noop",
          check=True)
    srv = h.serve()
    return srv, read_token, operate_token


def submit(srv, token, body):
    status, _, job = srv.api("POST", "/api/v1/jobs", body, headers=auth(token))
    assert status == 201, job
    return job["id"]


def job(srv, token, job_id):
    status, _, body = srv.api("GET", f"/api/v1/jobs/{job_id}", headers=auth(token))
    assert status == 200, body
    return body


@pytest.fixture
def browser():
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        pytest.fail("chromium and chromium-driver are needed (make deps installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,2600", "--no-first-run", "--disable-extensions"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


def use_token(driver, token):
    box = driver.find_element(By.ID, "token")
    box.clear()
    box.send_keys(token)
    driver.find_element(By.ID, "token-save").click()


def text(driver, selector):
    """The text of the element now matching `selector`, or None. Read in one script call: the
    page redraws on every change, so an element found by one call may be gone at the next."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", selector)


def row(driver, table, job_id):
    return text(driver, f"#{table} tbody tr[data-job='{job_id}']")


def click(driver, selector):
    """Clicks the element now matching `selector` (the page redraws its tables on every
    change, so a found element may be replaced before a WebDriver click reaches it)."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (e) e.click(); return !!e;", selector)


def console_problems(entries, allowed=()):
    """Console entries that are errors or CSP reports, except the expected ones."""
    bad = []
    for e in entries:
        text = e.get("message", "")
        if e.get("level") in ("SEVERE", "ERROR") or "Content Security Policy" in text or "Refused to" in text:
            if not any(a in text for a in allowed):
                bad.append(e)
    return bad


def test_dashboard_in_a_browser_lists_failures_charts_rates_updates_live_and_gates_retry(served, browser):
    srv, read_token, operate_token = served
    # The page is the product's: embedded, served with a strict CSP.
    status, hdrs, body = srv.request("GET", "/")
    assert status == 200 and b"/ui/dashboard.js" in body
    csp = hdrs["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp

    for _ in range(3):
        submit(srv, operate_token, {"type": "noop"})
    failing = submit(srv, operate_token, {
        "type": "exec", "max_retries": 0,
        "payload": {"argv": ["/bin/sh", "-c", "echo copying disk; echo datastore1 is full >&2; exit 3"]}})
    status, _, scheduled = srv.api("POST", "/api/v1/schedules/nightly-backup/run", {}, headers=auth(operate_token))
    assert status in (200, 201), scheduled
    status, _, wf = srv.api("POST", "/api/v1/workflows", {"name": "copy-web-1", "steps": [
        {"name": "export", "type": "noop"},
        {"name": "verify", "type": "noop", "depends_on": ["export"]}]}, headers=auth(operate_token))
    assert status == 201, wf
    wait_for(lambda: job(srv, read_token, failing)["status"] == "failed", timeout=WAIT, what="the failing job")
    failed = job(srv, read_token, failing)
    message = failed["error"]["message"]
    assert message
    wait_for(lambda: srv.api("GET", "/api/v1/jobs?status=succeeded", headers=auth(read_token))[2]["jobs"].__len__() >= 4,
             timeout=WAIT, what="the noop jobs and the schedule's run to succeed")

    # The token goes into the tab's sessionStorage before the dashboard asks for anything,
    # so the page never meets a 401 (which the console would report).
    browser.get(srv.url + "/ui/dashboard.css")
    browser.execute_script("sessionStorage.setItem('hypersdk.token', arguments[0])", read_token)
    browser.get(srv.url + "/")
    wait = WebDriverWait(browser, WAIT)

    # The failed job of the last day, with its error and attempts.
    failed_row = wait.until(lambda d: row(d, "failed", failing))
    assert message in failed_row, failed_row
    # Its log, one click away.
    wait.until(lambda d: click(d, f"#failed tr[data-job='{failing}'] button[data-action='log']"))
    wait.until(lambda d: "datastore1 is full" in (text(d, "#log") or ""))

    # The success-rate charts have data: noop at 100 %, exec at 0 %, and the schedule's row.
    def rates(d):
        out = d.execute_script(
            "const o = {}; for (const g of document.querySelectorAll('#chart-24h g.datum'))"
            " o[g.dataset.key] = g.dataset.rate; return o;")
        return out if "type:noop" in out and "schedule:nightly-backup" in out else None
    r = wait.until(rates)
    assert float(r["type:noop"]) == 1.0 and float(r["type:exec"]) == 0.0, r
    assert float(r["schedule:nightly-backup"]) == 1.0, r
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-24h rect.bar"), "no bars drawn"
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-7d g.datum")
    # The overview and the schedule with its next fire.
    overview = text(browser, "#overview")
    assert "dead letters" in overview and "workers busy" in overview and "free disk" in overview
    sched = wait.until(lambda d: text(d, "#schedules tr[data-schedule='nightly-backup']"))
    assert "02:00:00" in sched, sched

    # The workflow as a graph: both steps as nodes with their state, an edge between them.
    wait.until(lambda d: d.find_elements(
        By.CSS_SELECTOR, f"#workflows [data-workflow='{wf['id']}'] g.step[data-step='verify'][data-state='succeeded']"))
    assert browser.find_elements(By.CSS_SELECTOR, f"#workflows [data-workflow='{wf['id']}'] g.step[data-step='export']")
    assert len(browser.find_elements(By.CSS_SELECTOR, f"#workflows [data-workflow='{wf['id']}'] line.edge")) == 1

    # Live: the stream is up (a heartbeat or change arrived), and a job submitted now shows up
    # without a reload (the marker survives).
    wait.until(lambda d: d.execute_script("return document.getElementById('live').classList.contains('on')"))
    browser.execute_script("window.__notReloaded = true")
    later = submit(srv, operate_token, {"type": "noop"})
    wait.until(lambda d: row(d, "jobs", later))
    assert browser.execute_script("return window.__notReloaded === true")

    clean = browser.get_log("browser")
    assert not console_problems(clean), clean

    # Retry with the read token: refused by the server, shown on the page, nothing changes.
    assert click(browser, f"#failed tr[data-job='{failing}'] button[data-action='retry']")
    status_text = wait.until(lambda d: (t := text(d, "#action-status")) and "refused" in t and t)
    assert "needs role operate" in status_text, status_text
    assert job(srv, read_token, failing)["status"] == "failed"
    assert len(job(srv, read_token, failing)["errors"]) == 1
    # The browser reports the refused request itself (a 403 resource load): that one only.
    refused = browser.get_log("browser")
    assert not console_problems(refused, allowed=(f"/api/v1/jobs/{failing}/retry",)), refused

    # With an operate token the same button retries the job: it runs (and fails) again.
    use_token(browser, operate_token)
    wait.until(lambda d: text(d, "#action-status") == "token set for this tab")
    wait.until(lambda d: click(d, f"#failed tr[data-job='{failing}'] button[data-action='retry']"))
    wait.until(lambda d: text(d, "#action-status") == f"retried {failing}")
    wait_for(lambda: len(job(srv, read_token, failing)["errors"]) == 2, timeout=WAIT, what="the retried attempt")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    rest = browser.get_log("browser")
    assert not console_problems(rest), rest


def read_events(srv, token, path, want, timeout=WAIT):
    """Reads the event stream at `path` until `want(events)` holds; returns the events."""
    import http.client
    import time
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    conn.request("GET", path, headers=token if isinstance(token, dict) else auth(token))
    res = conn.getresponse()
    assert res.status == 200, res.read()
    assert res.getheader("Content-Type").startswith("text/event-stream")
    events, current, deadline = [], {}, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            line = res.fp.readline().decode().rstrip("\n")
            if line == "":
                if current:
                    events.append(current)
                    current = {}
                    if want(events):
                        return events
            elif not line.startswith(":"):
                field, _, value = line.partition(":")
                current[field] = value.lstrip(" ")
    finally:
        conn.close()
    raise AssertionError(f"the stream did not deliver what was wanted: {events}")


def test_dashboard_summary_counts_outcomes_per_type_and_schedule_and_the_event_stream_beats(served):
    srv, read_token, operate_token = served
    assert srv.api("GET", "/api/v1/dashboard")[0] == 401
    ids = [submit(srv, operate_token, {"type": "noop"}) for _ in range(2)]
    srv.api("POST", "/api/v1/schedules/nightly-backup/run", {}, headers=auth(operate_token))
    wait_for(lambda: all(job(srv, read_token, i)["status"] == "succeeded" for i in ids), timeout=WAIT,
             what="the noop jobs")

    def summary():
        status, _, body = srv.api("GET", "/api/v1/dashboard", headers=auth(read_token))
        assert status == 200, body
        return body
    s = wait_for(lambda: (b := summary())["queue"].get("succeeded") == 3 and b, timeout=WAIT, what="3 succeeded")
    day = s["success"]["24h"]
    assert day["by_type"] == [{"type": "noop", "succeeded": 3, "failed": 0, "cancelled": 0, "rate": 1.0}], day
    assert day["by_schedule"] == [{"schedule": "nightly-backup", "succeeded": 1, "failed": 0, "cancelled": 0,
                                   "rate": 1.0}], day
    assert s["success"]["7d"] == day
    assert s["ready"]["status"] == "pass" and s["health"] == "pass"
    assert s["workers"]["total"] >= 1 and s["dead_letters"] == 0
    assert s["schedules"] == [{"name": "nightly-backup", "missed_24h": 0, "skipped_24h": 0}]
    assert all(d["free_bytes"] > 0 for d in s["disk"]), s["disk"]

    # Heartbeats while idle, a change when something happens.
    events = read_events(srv, read_token, "/api/v1/events?heartbeat=1",
                         lambda ev: sum(e.get("event") == "heartbeat" for e in ev) >= 2)
    assert events[0]["event"] == "change"  # the first answer: the current state
    # Once the stream is idle (a heartbeat came), a job submitted elsewhere is reported.
    submitted = []

    def change_after_submit(ev):
        if not submitted and ev[-1].get("event") == "heartbeat":
            submitted.append(submit(srv, operate_token, {"type": "noop"}))
            return False
        return bool(submitted) and ev[-1].get("event") == "change"
    events = read_events(srv, read_token, "/api/v1/events?heartbeat=1", change_after_submit)
    assert submitted and events[-1]["event"] == "change"
    assert "data_version" in json.loads(events[-1]["data"])

    # Stored events (here workflow.started) come with the change; a client that reconnects
    # with Last-Event-ID gets those it missed, and only those.
    status, _, wf = srv.api("POST", "/api/v1/workflows", {"name": "wf", "steps": [{"name": "a", "type": "noop"}]},
                            headers=auth(operate_token))
    assert status == 201, wf

    def kinds(ev):
        return [k["kind"] for e in ev if e.get("event") == "change" for k in json.loads(e["data"])["events"]]
    events = read_events(srv, dict(auth(read_token), **{"Last-Event-ID": "0"}), "/api/v1/events",
                         lambda ev: "workflow.started" in kinds(ev))
    last = int([e for e in events if e.get("event") == "change"][-1]["id"])
    assert last > 0
    again = read_events(srv, dict(auth(read_token), **{"Last-Event-ID": str(last)}), "/api/v1/events?heartbeat=1",
                        lambda ev: any(e.get("event") == "heartbeat" for e in ev))
    assert "workflow.started" not in kinds(again), kinds(again)

    # Bad input is refused naming the field.
    status, _, body = srv.api("GET", "/api/v1/events?heartbeat=0", headers=auth(read_token))
    assert status == 400 and "heartbeat" in body["error"]["message"], body
    status, _, body = srv.api("GET", "/api/v1/events", headers=dict(auth(read_token), **{"Last-Event-ID": "x"}))
    assert status == 400 and "Last-Event-ID" in body["error"]["message"], body
    # The page's files are open (they hold no data); unknown ones are a clear 404.
    assert srv.request("GET", "/ui/dashboard.js")[0] == 200
    status, _, body = srv.api("GET", "/ui/nope.js")
    assert status == 404 and "nope.js" in body["error"]["message"]


def test_a_running_export_shows_a_progress_bar_and_the_dashboard_cancels_it(h, browser):
    """A VM whose disk is a FIFO fed slowly: the export runs for as long as the test wants."""
    import threading
    import time
    operate_token = secrets.token_hex(24)
    vms = h.tmp / "vms"
    (vms / "slow").mkdir(parents=True)
    fifo = vms / "slow" / "disk.raw"
    os.mkfifo(fifo)
    h.write_config(
        f"api:\n  tokens:\n    - {{name: operator, role: operate, token: {operate_token}}}\n"
        "  rate_limit:\n    requests_per_second: 100000\n    burst: 100000\n"
        f"providers:\n  lab:\n    kind: local\n    dirs: [{vms}]\n"
        f"export:\n  dir: {h.tmp / 'exports'}\n")
    srv = h.serve()
    stop = threading.Event()

    def feeder():  # 3 MiB at once, then a trickle that never ends until the test stops it
        fd = None
        while fd is None and not stop.is_set():
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.02)
        if fd is None:
            return
        try:
            os.set_blocking(fd, True)
            os.write(fd, b"\x5a" * (3 << 20))
            while not stop.is_set():
                os.write(fd, b"\x5b" * 65536)
                time.sleep(0.1)
        except OSError:
            pass  # the reader went away
        finally:
            os.close(fd)

    t = threading.Thread(target=feeder, daemon=True)
    t.start()
    try:
        export = submit(srv, operate_token, {"type": "export", "payload": {"provider": "lab", "vm": "slow",
                                                                           "format": "raw"}})
        browser.get(srv.url + "/ui/dashboard.css")
        browser.execute_script("sessionStorage.setItem('hypersdk.token', arguments[0])", operate_token)
        browser.get(srv.url + "/")
        wait = WebDriverWait(browser, WAIT)
        # The bar and the bytes so far (the size of a FIFO is unknown).
        shown = wait.until(lambda d: (t := text(d, f"#exports .progress-row[data-job='{export}']"))
                           and "MiB of unknown size" in t and t)
        assert shown.startswith(f"{export} export slow"), shown
        assert browser.execute_script(
            f"return document.querySelector(\"#exports .progress-row[data-job='{export}'] progress\") !== null")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "dashboard-export-progress.png"))
        # Cancel from the page (operate token): the export stops.
        assert click(browser, f"#exports .progress-row[data-job='{export}'] button[data-action='cancel']")
        wait.until(lambda d: text(d, "#action-status") == f"cancel requested for {export}")
        wait_for(lambda: job(srv, operate_token, export)["status"] == "cancelled", timeout=WAIT,
                 what="the export to stop")
        wait.until(lambda d: text(d, f"#exports .progress-row[data-job='{export}']") is None)
        problems = console_problems(browser.get_log("browser"))
        assert not problems, problems
    finally:
        stop.set()
        t.join(timeout=10)

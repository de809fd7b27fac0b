"""`schedule list` pages like `list` does (--limit, --cursor, filters by name glob, paused
and provider), in the CLI on the database and through the API alike, and computes next fire
times only for the page: listing stays fast with tens of thousands of schedules."""
import sqlite3
import time


COLS = ("cron, timezone, job_type, payload, target, provider, priority, max_retries, retry_policy,"
        " timeout_ms, time_window, days, holidays, window_close, overlap, catchup,"
        " catchup_window_ms, max_catchup_runs, dst_gap, dst_fold, enabled, paused, cursor_ms,"
        " version, created_at, updated_at")


def make_schedules(h, n):
    """n schedules s-00000 ... copied from one created through the CLI."""
    h.run("db", "migrate", check=True)
    h.run("schedule", "create", "--name", "template", "--cron", "0 2 * * *", "--type", "noop",
          check=True)
    with sqlite3.connect(h.db) as c:
        c.execute(f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)"
                  f" INSERT INTO schedules (name, {COLS}) SELECT printf('s-%05d', i), {COLS}"
                  f" FROM schedules, n WHERE schedules.name = 'template'", (n - 1,))
        c.execute("DELETE FROM schedules WHERE name = 'template'")


def names(page):
    return [s["name"] for s in page]


def test_cli_pages_by_name_with_a_cursor(h):
    make_schedules(h, 7)
    first = h.json("schedule", "list", "--limit", "3")
    assert names(first) == ["s-00000", "s-00001", "s-00002"]
    assert all(s["next_fire"] for s in first)
    second = h.json("schedule", "list", "--limit", "3", "--cursor", "s-00002")
    assert names(second) == ["s-00003", "s-00004", "s-00005"]
    table = h.run("schedule", "list", "--limit", "3", check=True).stdout
    assert "(more: --cursor s-00002)" in table
    last = h.run("schedule", "list", "--limit", "3", "--cursor", "s-00005", check=True).stdout
    assert "s-00006" in last and "more:" not in last


def test_cli_filters_by_glob_paused_and_provider(h):
    make_schedules(h, 30)
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE schedules SET paused = 1 WHERE name IN ('s-00003', 's-00013')")
        c.execute("UPDATE schedules SET provider = 'vsphere' WHERE name GLOB 's-0002*'")
    assert names(h.json("schedule", "list", "--name", "s-0001*")) == [f"s-{i:05d}" for i in range(10, 20)]
    assert names(h.json("schedule", "list", "--paused")) == ["s-00003", "s-00013"]
    assert len(h.json("schedule", "list", "--active")) == 28
    assert names(h.json("schedule", "list", "--provider", "vsphere", "--paused")) == []
    assert len(h.json("schedule", "list", "--provider", "vsphere")) == 10
    r = h.run("schedule", "list", "--paused", "--active")
    assert r.returncode == 2
    r = h.run("schedule", "list", "--limit", "0")
    assert r.returncode == 2


def test_api_pages_and_filters_and_rejects_bad_parameters(h):
    make_schedules(h, 5)
    srv = h.serve()
    status, _, body = srv.api("GET", "/api/v1/schedules?limit=2")
    assert status == 200 and names(body["schedules"]) == ["s-00000", "s-00001"]
    assert body["next_cursor"] == "s-00001"
    status, _, body = srv.api("GET", "/api/v1/schedules?limit=2&cursor=s-00003")
    assert names(body["schedules"]) == ["s-00004"] and body["next_cursor"] is None
    status, _, body = srv.api("GET", "/api/v1/schedules?name=s-0000%5B13%5D&paused=false")
    assert names(body["schedules"]) == ["s-00001", "s-00003"]
    for bad in ("limit=0", "limit=1001", "limit=x", "paused=maybe"):
        status, _, body = srv.api("GET", "/api/v1/schedules?" + bad)
        assert status == 400, (bad, body)
    # The CLI through the API gives the same pages.
    remote = h.json("--server", srv.url, "schedule", "list", "--limit", "2", "--cursor", "s-00001")
    assert names(remote) == ["s-00002", "s-00003"]


def test_listing_a_page_of_many_schedules_is_fast(h):
    make_schedules(h, 50_000)
    t0 = time.monotonic()
    page = h.json("schedule", "list", "--limit", "20", "--cursor", "s-25000")
    took = time.monotonic() - t0
    assert names(page) == [f"s-{i:05d}" for i in range(25001, 25021)]
    assert took < 2, f"one page of 50,000 schedules took {took:.2f} s"
    srv = h.serve()
    t0 = time.monotonic()
    status, _, body = srv.api("GET", "/api/v1/schedules?limit=1000&name=s-4*")
    assert status == 200 and len(body["schedules"]) == 1000
    assert time.monotonic() - t0 < 2

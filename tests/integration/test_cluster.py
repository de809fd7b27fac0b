"""Several nodes (issue 17 items 2 and 4), with serve on SQLite: a single serve holds the
leader lease and shows so in `cluster status` (through the server and on the database), and
`hypersdk drain` stops it claiming while its running jobs finish: nothing is lost, and after a
restart the jobs it left queued run, each once. The three-node PostgreSQL test is
tests/integration/after_p3/test_pg_cluster.py (it needs serve on PostgreSQL)."""
import time
import urllib.request

from conftest import wait_for

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true", "HYPERSDK_WORKERS__COUNT": "2"}


def status(h, *args):
    return h.json(*args, "cluster", "status")


def test_a_single_serve_leads_and_cluster_status_shows_it(h):
    srv = h.serve()
    s = wait_for(lambda: (lambda s: s if s["leader"] else None)(status(h)), timeout=10,
                 what="a leader in cluster status")
    assert len(s["nodes"]) == 1, s
    node = s["nodes"][0]
    assert node["address"] == srv.url and node["pid"] == srv.proc.pid, node
    assert node["leader"] is True and node["state"] == "active" and node["draining"] is False
    assert node["running_jobs"] == 0 and 0 <= node["heartbeat_age_ms"] < 15000
    assert node["owner"] and s["leader"]["owner"] == node["owner"], s
    assert s["leader"]["address"] == srv.url and s["leader"]["token"] >= 1
    # The same answer from the database, without the server.
    local = status(h, "--local")
    assert local["leader"]["owner"] == node["owner"] and local["nodes"][0]["leader"] is True
    table = h.run("cluster", "status", check=True).stdout
    assert "LEADER" in table and srv.url in table and "yes" in table and "active" in table, table
    assert f"leader: {srv.url}" in table, table
    metrics = urllib.request.urlopen(srv.url + "/api/v1/metrics", timeout=10).read().decode()
    assert "\nhypersdk_is_leader 1" in metrics, [l for l in metrics.splitlines() if "leader" in l]

    # A clean stop gives the lease up at once: no leader until the next node starts.
    assert srv.stop() == 0
    s = status(h)
    assert s["nodes"] == [] and s["leader"] is None, s
    srv2 = h.serve()
    s = wait_for(lambda: (lambda s: s if s["leader"] else None)(status(h)), timeout=10,
                 what="the restarted serve to lead")
    assert s["nodes"][0]["pid"] == srv2.proc.pid and s["leader"]["token"] >= 2, s


def test_drain_lets_running_jobs_finish_keeps_the_rest_queued_and_loses_nothing(h, tmp_path):
    h.env.update(EXEC_ON)
    started = tmp_path / "started"
    started.mkdir()
    release = tmp_path / "release"
    # Each job marks its start and then waits for the release file (a positive signal, not a
    # sleep), so the test decides when the running ones end.
    script = (f'touch {started}/"$HYPERSDK_JOB_ID.$HYPERSDK_JOB_ATTEMPT"; '
              f'while [ ! -f {release} ]; do sleep 0.05; done')
    srv = h.serve()
    jobs = [h.submit("--type", "exec", "--", "/bin/sh", "-c", script) for _ in range(5)]
    wait_for(lambda: len(list(started.iterdir())) == 2, timeout=20, what="two jobs running")

    r = h.run("drain", check=True)
    assert "draining " + srv.url in r.stdout, r.stdout
    code, _, body = srv.api("GET", "/api/v1/ready")
    assert code == 503, body
    assert body["checks"]["draining"][0]["status"] == "fail", body
    assert "draining" in body["output"], body
    s = status(h)
    node = s["nodes"][0]
    assert node["draining"] is True and node["state"] == "draining", s
    assert node["running_jobs"] == 2, s

    release.touch()
    statuses = lambda: {j: h.json("query", "--id", j)["status"] for j in jobs}
    wait_for(lambda: list(statuses().values()).count("succeeded") == 2, timeout=30,
             what="the two running jobs to finish")
    # A serve that claims would start the next job within a tick of a completion; give it
    # far longer than that, then check that nothing more started.
    time.sleep(2)
    assert len(list(started.iterdir())) == 2
    after = statuses()
    assert sorted(after.values()) == ["queued"] * 3 + ["succeeded"] * 2, after
    s = wait_for(lambda: (lambda s: s if s["nodes"][0]["state"] == "drained" else None)(status(h)),
                 timeout=10, what="cluster status to say drained")
    assert s["nodes"][0]["running_jobs"] == 0
    assert "drained" in h.run("cluster", "status", check=True).stdout
    _, _, audit = srv.api("GET", "/api/v1/audit?action=cluster.drain")
    assert len(audit["entries"]) == 1, audit

    # Drain is undone by a restart: the queued jobs run there, each exactly once.
    assert srv.stop() == 0
    srv2 = h.serve(env=EXEC_ON)
    wait_for(lambda: set(statuses().values()) == {"succeeded"}, timeout=60,
             what="every job to succeed after the restart")
    marks = sorted(p.name for p in started.iterdir())
    assert len(marks) == 5 and all(m.endswith(".1") for m in marks), marks
    code, _, _ = srv2.api("GET", "/api/v1/ready")
    assert code == 200


def test_drain_without_a_server_says_so(h):
    r = h.run("drain")
    assert r.returncode != 0 and "no running server to drain" in r.stderr, r.stderr


def test_the_lease_reaper_runs_only_on_the_leader(h):
    """Another node holds the leader lease: this serve does not rescue an expired lease; once
    that lease lapses, this serve takes over and the job is requeued and runs."""
    import sqlite3
    now_ms = int(time.time() * 1000)
    job = h.submit("--type", "noop", "--run-at", "2999-01-01T00:00:00Z")
    with sqlite3.connect(h.db) as c:
        # A job left running by a node on another host whose lease expired long ago, and that
        # node still holding the leader lease for a minute. Its attempt had started (a job
        # leased ahead and never started is requeued without counting the attempt).
        c.execute("UPDATE jobs SET status = 'running', attempt = 1, lease_owner = 'ghost:1:1',"
                  " lease_until = 1, lease_token = 7, run_at = 0, started_at = 1")
        c.execute("INSERT INTO leader_lease (name, holder, token, acquired_at, expires_at)"
                  " VALUES ('maintenance', 'ghost:1:1', 5, ?, ?)", (now_ms, now_ms + 60_000))
    # The reaper looks every second (a quarter of the 4 s job lease); the leader lease is 1 s.
    env = {"HYPERSDK_WORKERS__LEASE_TTL": "4s", "HYPERSDK_CLUSTER__LEADER_TTL": "1s"}
    srv = h.serve(env=env)
    s = status(h)
    assert s["leader"]["owner"] == "ghost:1:1" and s["leader"]["address"] is None, s
    assert s["nodes"][0]["leader"] is False and s["orphaned_running_jobs"] == 1, s
    metrics = urllib.request.urlopen(srv.url + "/api/v1/metrics", timeout=10).read().decode()
    assert "\nhypersdk_is_leader 0" in metrics
    time.sleep(3)  # three reaper periods: a reaper that ignored the lease would have run
    assert h.json("query", "--id", job)["status"] == "running"

    with sqlite3.connect(h.db) as c:  # the other node's lease lapses
        c.execute("UPDATE leader_lease SET expires_at = 0")
    got = wait_for(lambda: (lambda j: j if j["status"] == "succeeded" else None)(
        h.json("query", "--id", job)), timeout=20, what="the new leader to rescue the job")
    assert got["attempt"] == 2, got
    s = status(h)
    assert s["nodes"][0]["leader"] is True and s["leader"]["token"] == 6, s


def test_db_migrate_refuses_while_an_older_live_node_uses_the_database(h):
    """Expand/contract: `db migrate` names the live node of an older version that blocks it,
    and migrates once that node's heartbeat is stale (it was drained and stopped)."""
    import sqlite3
    from pathlib import Path
    h.remove_db()
    schema = sorted((Path(__file__).resolve().parents[2] / "schema").glob("*.sql"))
    previous = schema[:-1]  # the database as the previous release left it
    now_ms = int(time.time() * 1000)
    with sqlite3.connect(h.db) as c:
        for f in previous:
            c.executescript(f.read_text())
        c.execute(f"PRAGMA user_version={int(previous[-1].name.split('_')[0])}")
        c.execute("INSERT INTO servers (address, pid, host, version, started_at, heartbeat)"
                  " VALUES ('http://10.0.0.9:8080', 99, 'other-host', '0.0.1', 0, ?)", (now_ms,))
    r = h.run("db", "migrate", "--no-backup")
    assert r.returncode != 0, r.stdout
    assert "http://10.0.0.9:8080 (version 0.0.1, other-host:99" in r.stderr, r.stderr
    assert "not applying schema migrations" in r.stderr, r.stderr
    with sqlite3.connect(h.db) as c:
        c.execute("UPDATE servers SET heartbeat = ?", (now_ms - 60_000,))
    r = h.run("db", "migrate", "--no-backup")
    assert r.returncode == 0, r.stderr
    assert "migrated schema" in r.stdout, r.stdout

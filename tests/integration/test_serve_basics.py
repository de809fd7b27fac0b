"""serve with no configuration at all, the argv[0] names, the API's error shape and request
ids reaching the logs."""
import json
import os
import subprocess
import urllib.request

from conftest import BIN, free_port, wait_for


def test_serve_with_no_config_in_an_empty_home_answers_health(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "XDG_DATA_HOME": str(tmp_path / "data")}
    cmd = [BIN, "serve", "--listen", f"127.0.0.1:{port}"]
    if os.geteuid() == 0:
        # root's default is /var/lib/hypersdk: give serve a private, empty /var/lib (a tmpfs in
        # its own mount namespace) so the test never reads or writes the host's database.
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               'mount -t tmpfs tmpfs /var/lib && exec "$@"', "sh", *cmd]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1) as r:
                    return r.status == 200 and json.loads(r.read())["status"] == "pass"
            except OSError:
                return False
        wait_for(healthy, timeout=20, what="health 200")
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, out
    started = [json.loads(l) for l in out.splitlines() if '"hypersdk serve started"' in l][0]
    expected = "/var/lib/hypersdk/hypersdk.db" if os.geteuid() == 0 else str(tmp_path / "data/hypersdk/hypersdk.db")
    assert started["db"] == expected


def test_cli_names(h, tmp_path):
    link = tmp_path / "hyperctl"
    link.symlink_to(BIN)
    r = subprocess.run([str(link), "--db", str(h.db), "--config", str(h.config), "version"],
                       capture_output=True, text=True, env=h.env)
    assert r.returncode == 0 and "hypersdk" in r.stdout
    daemon = tmp_path / "hypervisord"
    daemon.symlink_to(BIN)
    r = subprocess.run([str(daemon), "--help"], capture_output=True, text=True)
    assert "--listen" in r.stdout  # hypervisord is `serve`


def test_malformed_body_is_400_with_request_id_and_logged(h):
    srv = h.serve()
    status, headers, body = srv.request("POST", "/api/v1/jobs", b'{"type": "noop",',
                                        headers={"Content-Type": "application/json",
                                                 "X-Request-ID": "req-abc123"})
    assert status == 400
    err = json.loads(body)["error"]
    assert err["request_id"] == "req-abc123" and err["code"] == "invalid"
    assert headers["X-Request-ID"] == "req-abc123"
    status, _, body = srv.api("GET", "/api/v1/jobs/j-424242")
    assert status == 404 and body["error"]["code"] == "not_found"
    srv.stop()
    lines = [json.loads(l) for l in srv.output().splitlines() if l.startswith("{")]
    tagged = [l for l in lines if l.get("http.request.id") == "req-abc123"]
    assert tagged and all(l["log.level"] in ("debug", "info", "warn", "error") for l in lines)


def test_remote_cli_through_the_api(h):
    srv = h.serve()
    job_id = h.run("--server", srv.url, "submit", "--type", "noop", check=True).stdout.strip()
    wait_for(lambda: h.json("--server", srv.url, "query", "--id", job_id)["status"] == "succeeded",
             what="remote job")
    jobs = h.json("--server", srv.url, "list")
    assert [j["id"] for j in jobs] == [job_id]
    r = h.run("--server", srv.url, "query", "--id", "j-999")
    assert r.returncode == 3
    srv.stop()
    r = h.run("--server", srv.url, "list")
    assert r.returncode == 5 and "serve" in r.stderr

"""Secrets and files (issue 15 item 6): the run's configured secrets appear in none of its logs,
its database files or its API answers; the database, its WAL and backups are 0600 and the log
file 0640; exec jobs run only what jobs.exec.allowed permits."""
import json
import os
import stat
import time
from pathlib import Path

from conftest import wait_for


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_configured_secrets_appear_in_no_log_database_or_answer(h):
    admin_secret = "hsdk_ADMIN-secret-7f3a9c1e5b"
    env_secret = "hsdk_ENV-secret-2d8e4b6a0c"
    file_secret = "hsdk_FILE-secret-9a1b3c5d7e"
    provider_secret = "hsdk_PROVIDER-secret-4c6e8a0b2d"
    secret_file = h.tmp / "ops.token"
    secret_file.write_text(file_secret + "\n")
    secret_file.chmod(0o600)
    log_file = h.tmp / "serve.log"
    h.write_config(
        "api:\n  tokens:\n"
        f"    - {{name: admin, role: admin, token: {admin_secret}}}\n"
        "    - {name: ci, role: operate, token: env:CI_TOKEN}\n"
        f"    - {{name: ops, role: operate, token: 'file:{secret_file}'}}\n"
        f"log:\n  file: {log_file}\n  level: debug\n  format: json\n"
        "jobs:\n  exec:\n    enabled: true\n"
        "providers:\n"
        f"  kvm: {{kind: libvirt, uri: 'test:///default', username: backup, password: {provider_secret}}}\n")
    h.config.chmod(0o600)
    h.env["CI_TOKEN"] = env_secret
    srv = h.serve()
    answers = []

    def call(method, path, body=None, token=admin_secret):
        status, hdrs, data = srv.request(method, path, body,
                                         headers={"Authorization": "Bearer " + token} if token else {})
        answers.append(json.dumps(hdrs) + data.decode("utf-8", "replace"))
        return status, data

    status, data = call("POST", "/api/v1/jobs", {"type": "exec", "payload": {"argv": ["/bin/echo", "hello"]}},
                        token=env_secret)
    assert status == 201, data
    job = json.loads(data)["id"]
    call("POST", "/api/v1/jobs", {"type": "noop"}, token=file_secret)
    call("GET", "/api/v1/jobs", token=env_secret + "wrong")  # 401: the wrong token is not echoed
    call("GET", "/api/v1/jobs", token="")
    wait_for(lambda: json.loads(call("GET", f"/api/v1/jobs/{job}")[1])["status"] == "succeeded",
             what="the exec job")
    for path in ("/api/v1/jobs", f"/api/v1/jobs/{job}", f"/api/v1/jobs/{job}/logs", "/api/v1/config",
                 "/api/v1/audit", "/api/v1/metrics", "/api/v1/ready", "/api/v1/dlq", "/api/v1/schedules",
                 "/api/v1/providers"):
        status, _ = call("GET", path)
        assert status == 200, path
    # The CLI's answers and errors too.
    for args in (("config", "show"), ("config", "show", "--json"), ("list", "--json"), ("audit", "list"),
                 ("provider", "list"),
                 ("--token", admin_secret, "query", "--id", job)):
        r = h.run(*args, env={"CI_TOKEN": env_secret})
        answers.append(r.stdout + r.stderr)
    assert srv.stop() == 0

    haystacks = {"answers": "\n".join(answers).encode(), "serve output": srv.log_path.read_bytes(),
                 "log file": log_file.read_bytes()}
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(h.db) + suffix)
        if p.exists():
            haystacks["database" + suffix] = p.read_bytes()
    assert len(haystacks["log file"]) > 1000 and b"http request" in haystacks["log file"]
    for secret in (admin_secret, env_secret, file_secret, provider_secret):
        for what, data in haystacks.items():
            assert secret.encode() not in data, f"{secret} found in {what}"
            assert secret[5:].encode() not in data, f"part of {secret} found in {what}"


def test_database_wal_backups_and_log_are_private(h):
    log_file = h.tmp / "serve.log"
    h.write_config(f"log:\n  file: {log_file}\n")
    os.umask(0o022)  # a typical login umask: files would be 0644 unless created private
    h.remove_db()
    srv = h.serve()
    h.submit("--type", "noop")
    assert mode(h.db) == 0o600
    assert mode(str(h.db) + "-wal") == 0o600
    assert mode(str(h.db) + "-shm") == 0o600
    assert mode(log_file) & 0o037 == 0, oct(mode(log_file))  # 0640 at most: the service group reads
    backup = h.tmp / "copy.db"
    h.run("db", "backup", str(backup), check=True)
    assert mode(backup) == 0o600
    assert srv.stop() == 0


def test_exec_allow_list_limits_what_exec_jobs_run(h):
    h.write_config("jobs:\n  exec:\n    enabled: true\n    allowed: [/bin/true, /usr/bin/]\n")
    assert h.submit("--type", "exec", "--", "/bin/true")
    assert h.submit("--type", "exec", "--", "/usr/bin/env")
    for argv in (["/bin/sh", "-c", "id"], ["/usr/bin/../../bin/sh"], ["true"]):
        r = h.run("submit", "--type", "exec", "--", *argv)
        assert r.returncode == 2, (argv, r.stdout, r.stderr)
        assert f"'{argv[0]}' is not among the commands jobs.exec.allowed permits" in r.stderr
    srv = h.serve()
    status, _, body = srv.api("POST", "/api/v1/jobs", {"type": "exec", "payload": {"argv": ["/bin/rm", "-rf", "/tmp/x"]}})
    assert status == 400 and "jobs.exec.allowed" in body["error"]["message"]
    assert srv.stop() == 0

"""Real upload-target servers on loopback for the target tests: the npm S3 server
@20minutes/s3rver (checks SigV4), started through tests/node/s3rver_run.js."""
import json
import os
import subprocess
import time
from pathlib import Path

from conftest import free_port

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
S3_KEY = "S3RVER"
S3_SECRET = "S3RVER"
BUCKET = "test"


class S3Server:
    """s3rver on a free loopback port with bucket `test`. `log()` is every request answered,
    as {method, url, status}; `fault(...)` makes the next matching requests fail. etag="aws":
    a completed multipart object's ETag is AWS's kind (MD5 of the part MD5s, "-N")."""

    def __init__(self, tmp: Path, etag="s3rver"):
        if not (NODE_DIR / "node_modules" / "@20minutes" / "s3rver").is_dir():
            raise AssertionError("s3rver is not installed: run `make deps-npm`")
        self.dir = tmp / "s3rver"
        self.dir.mkdir()
        self.log_path = tmp / "s3rver-requests.jsonl"
        self.log_path.touch()
        self.faults_path = tmp / "s3rver-faults.json"
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.out = open(tmp / "s3rver.out", "w")
        self.proc = subprocess.Popen(
            ["node", str(NODE_DIR / "s3rver_run.js"), str(self.port), str(self.dir / "data"),
             str(self.log_path), str(self.faults_path)],
            cwd=NODE_DIR, stdout=subprocess.PIPE, stderr=self.out, text=True,
            env={**os.environ, "S3RVER_ETAG": etag})
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise AssertionError(f"s3rver did not start: {line!r} {(tmp / 's3rver.out').read_text()}")

    def log(self):
        return [json.loads(l) for l in self.log_path.read_text().splitlines() if l.strip()]

    def fault(self, status, count=1, match="", code="InternalError", retry_after=None, delay_ms=None):
        f = {"count": count, "status": status, "match": match, "code": code}
        if retry_after is not None:
            f["retry_after"] = retry_after
        if delay_ms is not None:
            f["delay_ms"] = delay_ms
        tmp = self.faults_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(f))
        os.replace(tmp, self.faults_path)

    def clear_faults(self):
        self.faults_path.unlink(missing_ok=True)

    def object_path(self, key):
        """Where s3rver's filesystem store keeps an object's bytes."""
        return self.dir / "data" / BUCKET / (key + "._S3rver_object")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()


def s3_target_yaml(name, s3, secret=S3_SECRET, extra=""):
    return (f"  {name}:\n    kind: s3\n    endpoint: {s3.endpoint}\n    bucket: {BUCKET}\n"
            f"    access_key: {S3_KEY}\n    secret_key: {secret}\n    timeout_seconds: 10\n{extra}")


def make_file(path: Path, size: int):
    """A file of `size` random bytes."""
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n
    return path


def wait_job(srv, job_id, statuses=("succeeded", "failed", "cancelled"), timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, job = srv.api("GET", f"/api/v1/jobs/{job_id}")
        assert status == 200, job
        if job["status"] in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not reach {statuses}: {job}")


class SshServer:
    """OpenSSH's sshd on a free loopback port, run by the test's own user with a generated
    host key and a user key (no system configuration touched). `known_hosts` holds the host
    key; `other_known_hosts` a different key, for the unknown-host test."""

    def __init__(self, tmp: Path):
        import getpass
        d = tmp / "sshd"
        d.mkdir()
        self.dir = d
        self.user = getpass.getuser()
        self.port = free_port()
        for name in ("host_key", "user_key", "other_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)],
                           check=True)
        (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
        os.chmod(d / "authorized_keys", 0o600)
        host = f"[127.0.0.1]:{self.port}"
        self.known_hosts = d / "known_hosts"
        self.known_hosts.write_text(f"{host} {(d / 'host_key.pub').read_text().split(' ', 2)[0]} "
                                    f"{(d / 'host_key.pub').read_text().split(' ', 2)[1]}\n")
        self.other_known_hosts = d / "other_known_hosts"
        self.other_known_hosts.write_text(
            f"{host} {' '.join((d / 'other_key.pub').read_text().split(' ', 2)[:2])}\n")
        self.root = d / "files"
        self.root.mkdir()
        conf = d / "sshd_config"
        conf.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
            f"AuthorizedKeysFile {d / 'authorized_keys'}\nPidFile {d / 'sshd.pid'}\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
            "StrictModes no\nPermitRootLogin prohibit-password\n"
            "Subsystem sftp internal-sftp\nLogLevel VERBOSE\n")
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory, when root
        self.log = open(d / "sshd.log", "w")
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(conf)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc, d / "sshd.log")

    def target_yaml(self, name, known_hosts=None):
        return (f"  {name}:\n    kind: sftp\n    url: sftp://127.0.0.1:{self.port}{self.root}\n"
                f"    user: {self.user}\n    private_key: {self.dir / 'user_key'}\n"
                f"    public_key: {self.dir / 'user_key.pub'}\n"
                f"    known_hosts: {known_hosts or self.known_hosts}\n    timeout_seconds: 10\n")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


DAV_EXT_MODULE = "/usr/lib/nginx/modules/ngx_http_dav_ext_module.so"


class DavServer:
    """nginx with its DAV module (PUT, DELETE, MKCOL, MOVE), the dav-ext module for PROPFIND
    (Debian's libnginx-mod-http-dav-ext: listings, for retention) and basic auth, on a free
    loopback port, from a configuration of its own in a temporary directory."""

    def __init__(self, tmp: Path, user="backup", password="s3cret"):
        d = tmp / "nginx"
        d.mkdir()
        self.root = d / "dav"
        self.root.mkdir()
        self.user, self.password = user, password
        self.port = free_port()
        hashed = subprocess.run(["openssl", "passwd", "-apr1", password], check=True,
                                capture_output=True, text=True).stdout.strip()
        (d / "htpasswd").write_text(f"{user}:{hashed}\n")
        conf = d / "nginx.conf"
        conf.write_text(
            f"load_module {DAV_EXT_MODULE};\n"
            f"daemon off;\npid {d / 'nginx.pid'};\nerror_log {d / 'error.log'} info;\n"
            + ("user root;\n" if os.geteuid() == 0 else "")
            + "events { worker_connections 64; }\n"
            "http {\n"
            f"  access_log {d / 'access.log'};\n"
            f"  client_body_temp_path {d / 'body'};\n  proxy_temp_path {d / 'proxy'};\n"
            f"  fastcgi_temp_path {d / 'fcgi'};\n  uwsgi_temp_path {d / 'uwsgi'};\n"
            f"  scgi_temp_path {d / 'scgi'};\n"
            f"  server {{\n    listen 127.0.0.1:{self.port};\n    root {d};\n"
            "    client_max_body_size 0;\n"
            "    location /dav/ {\n      dav_methods PUT DELETE MKCOL MOVE;\n"
            "      dav_ext_methods PROPFIND OPTIONS;\n"
            "      create_full_put_path on;\n      dav_access user:rw group:r;\n"
            f"      auth_basic dav;\n      auth_basic_user_file {d / 'htpasswd'};\n    }}\n  }}\n}}\n")
        self.log = open(d / "nginx.out", "w")
        self.proc = subprocess.Popen(["/usr/sbin/nginx", "-p", str(d), "-c", str(conf)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc, d / "error.log")
        self.url = f"http://127.0.0.1:{self.port}/dav/"

    def target_yaml(self, name, password=None):
        return (f"  {name}:\n    kind: webdav\n    url: {self.url}\n    user: {self.user}\n"
                f"    password: {password or self.password}\n    timeout_seconds: 10\n")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


def wait_port(port, proc, log, timeout=15):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {Path(log).read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}: {Path(log).read_text()}")

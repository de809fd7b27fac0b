"""API security (issue 15 item 4): tokens kept as SHA-256 in the config and made by
`hypersdk token create`, 401/403/429 as they should be, security headers on every answer, no
CORS unless configured, and HTTPS: TLS 1.2 at the least, modern ciphers only, the CLI's
--cacert/--insecure, and a certificate renewed on SIGHUP served to the next connection."""
import hashlib
import json
import signal
import socket
import ssl
import subprocess
import time

import pytest

from conftest import Server, wait_for

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_token(h, name, role):
    out = h.json("token", "create", "--name", name, "--role", role)
    assert out["name"] == name and out["role"] == role
    assert out["token_sha256"] == hashlib.sha256(out["token"].encode()).hexdigest()
    return out


def test_token_create_prints_a_fresh_token_and_a_config_line_without_the_secret(h):
    a = create_token(h, "ci-bot", "operate")
    b = create_token(h, "ci-bot", "operate")
    assert a["token"] != b["token"]
    assert len(a["token"]) >= 40  # 256 random bits
    assert a["token"] not in a["config_line"]
    assert a["token_sha256"] in a["config_line"]
    text = h.run("token", "create", "--name", "ops", "--role", "admin", check=True).stdout
    assert "token_sha256: " in text and "role: admin" in text
    bad = h.run("token", "create", "--name", "x", "--role", "root")
    assert bad.returncode == 2 and "--role 'root'" in bad.stderr
    bad = h.run("token", "create", "--name", "a b", "--role", "read")
    assert bad.returncode == 2 and "--name 'a b'" in bad.stderr


def test_config_rejects_token_entries_that_are_neither_or_both_or_bad_digests(h):
    cases = {
        "{name: a, role: read}": "exactly one of 'token' and 'token_sha256'",
        "{name: a, role: read, token: s3cret, token_sha256: " + "a" * 64 + "}":
            "exactly one of 'token' and 'token_sha256'",
        "{name: a, role: read, token_sha256: abc}": "token_sha256: expected 64 hex digits",
        "{name: a, role: read, token_sha256: " + "g" * 64 + "}": "token_sha256: expected 64 hex digits",
    }
    for entry, message in cases.items():
        h.write_config(f"api:\n  tokens:\n    - {entry}\n")
        r = h.run("config", "validate")
        assert r.returncode == 2, (entry, r.stdout, r.stderr)
        assert message in r.stdout + r.stderr, (entry, r.stdout, r.stderr)
        assert "hypersdk.yaml:3" in r.stdout + r.stderr, (entry, r.stdout, r.stderr)


@pytest.fixture
def secured(h):
    """A server whose config holds only token digests: one read, one operate token."""
    reader = create_token(h, "reader", "read")
    operator = create_token(h, "operator", "operate")
    h.write_config("api:\n  tokens:\n    - " + reader["config_line"][2:] + "\n    - " +
                   operator["config_line"][2:] + "\n  rate_limit:\n    requests_per_second: 1\n"
                   "    burst: 30\n")
    assert reader["token"] not in h.config.read_text()
    srv = h.serve()
    return srv, reader["token"], operator["token"]


def test_statuses_no_token_wrong_token_weak_token_right_token_and_over_rate(secured):
    srv, read_token, operate_token = secured
    status, hdrs, body = srv.api("GET", "/api/v1/jobs")
    assert status == 401, body
    assert hdrs["WWW-Authenticate"].startswith("Bearer")
    assert body["error"]["code"] == "auth"
    status, _, body = srv.api("GET", "/api/v1/jobs", headers={"Authorization": "Bearer " + read_token + "x"})
    assert status == 401, body
    status, _, body = srv.api("GET", "/api/v1/jobs", headers={"Authorization": "Bearer " + read_token})
    assert status == 200, body
    status, _, body = srv.api("POST", "/api/v1/jobs", {"type": "noop"},
                              headers={"Authorization": "Bearer " + read_token})
    assert status == 403, body
    assert "needs role operate" in body["error"]["message"]
    status, _, body = srv.api("POST", "/api/v1/jobs", {"type": "noop"},
                              headers={"Authorization": "Bearer " + operate_token})
    assert status == 201, body
    # The rate limit is per token: 30 at once, then 1 per second.
    statuses = [srv.request("GET", "/api/v1/jobs", headers={"Authorization": "Bearer " + read_token})[0]
                for _ in range(40)]
    assert 429 in statuses, statuses
    status, hdrs, _ = srv.request("GET", "/api/v1/jobs", headers={"Authorization": "Bearer " + read_token})
    assert status == 429 and int(hdrs["Retry-After"]) >= 1
    # The CLI takes the token from --token.
    r = srv.h.run("--server", srv.url, "--token", operate_token, "submit", "--type", "noop")
    assert r.returncode == 0, r.stderr
    r = srv.h.run("--server", srv.url, "--token", "wrong", "list")
    assert r.returncode == 6, r.stderr


def test_security_headers_on_every_answer_and_no_cors_by_default(h):
    srv = h.serve()
    answers = {
        "ok": srv.request("GET", "/api/v1/jobs", headers={"Origin": "https://evil.example"}),
        "not found": srv.request("GET", "/api/v1/nothing", headers={"Origin": "https://evil.example"}),
        "bad body": srv.request("POST", "/api/v1/jobs", b"{", headers={"Origin": "https://evil.example"}),
        "preflight": srv.request("OPTIONS", "/api/v1/jobs", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}),
        "health": srv.request("GET", "/api/v1/health"),
        "metrics": srv.request("GET", "/api/v1/metrics"),
    }
    for what, (status, hdrs, _) in answers.items():
        for name, value in SECURITY_HEADERS.items():
            assert hdrs.get(name) == value, (what, status, name, hdrs)
        assert "default-src 'none'" in hdrs.get("Content-Security-Policy", ""), (what, hdrs)
        assert not any(k.lower().startswith("access-control-") for k in hdrs), (what, hdrs)
        assert "Strict-Transport-Security" not in hdrs  # plain HTTP
    assert answers["ok"][0] == 200 and answers["not found"][0] == 404
    assert answers["bad body"][0] == 400 and answers["preflight"][0] in (404, 405)


def test_cors_only_for_configured_origins(h):
    h.write_config("api:\n  cors:\n    allowed_origins: [\"https://ops.example\"]\n")
    srv = h.serve()
    status, hdrs, _ = srv.request("GET", "/api/v1/jobs", headers={"Origin": "https://ops.example"})
    assert status == 200
    assert hdrs["Access-Control-Allow-Origin"] == "https://ops.example"
    assert "Origin" in hdrs["Vary"]
    status, hdrs, _ = srv.request("OPTIONS", "/api/v1/jobs", headers={
        "Origin": "https://ops.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert status == 204
    assert "POST" in hdrs["Access-Control-Allow-Methods"]
    assert "Authorization" in hdrs["Access-Control-Allow-Headers"]
    status, hdrs, _ = srv.request("GET", "/api/v1/jobs", headers={"Origin": "https://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in hdrs
    status, hdrs, _ = srv.request("OPTIONS", "/api/v1/jobs", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 403 and "Access-Control-Allow-Origin" not in hdrs


# ---- TLS ------------------------------------------------------------------------------------

def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


class CertAuthority:
    """A throwaway CA and server certificates it signs, made with the openssl CLI."""

    def __init__(self, d):
        self.d = d
        d.mkdir()
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=hypersdk test CA",
                cwd=d)
        self.ca = d / "ca.pem"

    def issue(self, name):
        (self.d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=self.d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", "ext.cnf",
                cwd=self.d)
        return self.d / f"{name}.pem", self.d / f"{name}.key"


class TlsServer(Server):
    context = None

    def request(self, method, path, body=None, headers=None, timeout=10):
        import urllib.error
        import urllib.request
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", data=data,
                                     method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self.context) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


def health_over(conn):
    """GET /api/v1/health on an open keep-alive connection; the whole answer."""
    conn.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < length:
        body += conn.recv(4096)
    return data


def peer_cert_subject(port, ca):
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            return dict(x[0] for x in t.getpeercert()["subject"])["commonName"]


@pytest.fixture
def tls_server(h):
    ca = CertAuthority(h.tmp / "pki")
    cert, key = ca.issue("first")
    h.write_config(f"api:\n  tls:\n    cert: {cert}\n    key: {key}\n")
    TlsServer.context = ssl.create_default_context(cafile=str(ca.ca))
    from conftest import free_port
    srv = TlsServer(h, free_port(), (), None)
    h.servers.append(srv)
    return srv, ca


def test_tls_serves_with_a_test_ca_and_the_cli_verifies_it(tls_server):
    srv, ca = tls_server
    status, hdrs, _ = srv.request("GET", "/api/v1/jobs")
    assert status == 200
    assert hdrs["Strict-Transport-Security"].startswith("max-age=")
    url = f"https://127.0.0.1:{srv.port}"
    r = srv.h.run("--server", url, "--cacert", str(ca.ca), "submit", "--type", "noop")
    assert r.returncode == 0, r.stderr
    r = srv.h.run("--server", url, "list")  # the system's CAs do not know the test CA
    assert r.returncode == 5 and "TLS" in r.stderr, (r.returncode, r.stderr)
    r = srv.h.run("--server", url, "--insecure", "list")
    assert r.returncode == 0, r.stderr


def s_client(port, *args):
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                          input="", capture_output=True, text=True, timeout=30)


def test_tls_refuses_old_protocols_and_weak_ciphers(tls_server):
    srv, ca = tls_server
    ok = s_client(srv.port, "-tls1_2", "-CAfile", str(ca.ca))
    assert ok.returncode == 0 and "Verify return code: 0 (ok)" in ok.stdout, ok.stdout + ok.stderr
    for args in (("-tls1_1",), ("-tls1",), ("-tls1_2", "-cipher", "AES128-SHA256:AES256-SHA:@SECLEVEL=0"),
                 ("-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256")):
        r = s_client(srv.port, *args)
        assert r.returncode != 0, (args, r.stdout)
        assert "Cipher is (NONE)" in r.stdout or "alert" in r.stderr or "no protocols" in r.stderr, (args, r.stdout, r.stderr)


def test_sighup_serves_a_renewed_certificate_to_the_next_connection(tls_server):
    srv, ca = tls_server
    assert peer_cert_subject(srv.port, ca.ca) == "first"
    # An open keep-alive connection made before the reload keeps working after it.
    ctx = ssl.create_default_context(cafile=str(ca.ca))
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    held = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    assert health_over(held).startswith(b"HTTP/1.1 200")
    cert, key = ca.issue("second")
    (ca.d / "first.pem").write_bytes(cert.read_bytes())
    (ca.d / "first.key").write_bytes(key.read_bytes())
    srv.signal(signal.SIGHUP)
    wait_for(lambda: "TLS certificate replaced" in srv.output(), what="the reload")
    assert peer_cert_subject(srv.port, ca.ca) == "second"
    assert health_over(held).startswith(b"HTTP/1.1 200")
    held.close()
    # A broken replacement is refused and the running certificate stays.
    (ca.d / "first.key").write_text("not a key\n")
    srv.signal(signal.SIGHUP)
    wait_for(lambda: "config reload failed" in srv.output(), what="the failed reload")
    assert peer_cert_subject(srv.port, ca.ca) == "second"
    assert srv.stop() == 0

"""Many clients connecting at once (issue 14, the /health target): httplib 0.11 listens with a
backlog of 5, so a burst of connections (32 keep-alive clients reconnecting together) had
handshakes dropped and waited a second for the SYN to be retried; serve resizes the queue."""
import re
import shutil
import socket
import subprocess
import time

import pytest


def listen_backlog(port):
    """The accept-queue size of the socket listening on port, as the kernel reports it (for a
    listening socket `ss` shows the backlog in its Send-Q column)."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], check=True, capture_output=True,
                         text=True).stdout.split()
    assert out and out[0] == "LISTEN", out
    return int(out[2])


def read_answer(s):
    """One whole HTTP answer (head and Content-Length body) from a keep-alive socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
    while len(body) < length:
        chunk = s.recv(4096)
        assert chunk, "connection closed inside the body"
        body += chunk
    assert len(body) == length, "more than one answer arrived"
    return head


def test_serve_listens_with_a_queue_for_bursts_of_connections(h):
    if shutil.which("ss") is None:
        pytest.fail("ss (iproute2) is needed: make deps installs it")
    srv = h.serve()
    assert listen_backlog(srv.port) >= 128


def test_a_burst_of_256_connections_is_answered_without_a_retried_handshake(h):
    srv = h.serve()
    socks = []
    try:
        t0 = time.monotonic()
        for _ in range(256):
            socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=10))
        connected = time.monotonic() - t0
        # A dropped handshake is retried after 1 s; loopback connects take microseconds.
        assert connected < 0.9, f"256 connects took {connected:.2f}s"
        for s in socks[:8]:
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for s in socks[:8]:
            assert s.recv(64).startswith(b"HTTP/1.1 200 "), "health over a burst connection"
    finally:
        for s in socks:
            s.close()
    assert srv.proc.poll() is None


def test_idle_keep_alive_health_clients_do_not_hold_back_the_next_probe(h):
    # Four clients (load balancers keeping their connections) ask once and stay connected:
    # each would hold a probe thread for httplib's keep-alive timeout (2 s), so a fifth
    # probe waited 2 s behind the two probe threads.
    srv = h.serve()
    idle = []
    try:
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(s).startswith(b"HTTP/1.1 200 ")
            idle.append(s)
        t0 = time.monotonic()
        status, _, _ = srv.request("GET", "/api/v1/health", timeout=5)
        took = time.monotonic() - t0
        assert status == 200
        assert took < 1.0, f"health took {took:.2f}s behind idle keep-alive clients"
        # A client that reuses its connection at once still gets keep-alive answers.
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            for _ in range(5):
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_answer(s).startswith(b"HTTP/1.1 200 ")
    finally:
        for s in idle:
            s.close()

"""Many clients connecting at once (issue 14, the /health target): httplib 0.11 listens with a
backlog of 5, so a burst of connections (32 keep-alive clients reconnecting together) had
handshakes dropped and waited a second for the SYN to be retried; serve resizes the queue."""
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

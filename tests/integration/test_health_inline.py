"""GET /api/v1/health answered by the connection gate itself (src/api/inline_health.h, issue
14 item 6): the same answer as httplib's, pipelined and partial requests, requests that must
still go to httplib (a body, HEAD, a query, CORS), clients that do not read, keep-alive limits,
metrics and the access log. None may hang or crash the server."""
import json
import re
import socket
import time

HEALTH = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"


def connect(srv, timeout=10):
    return socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)


class Reader:
    """Whole HTTP answers (head + Content-Length body) off one socket, in order."""

    def __init__(self, s):
        self.s, self.buf = s, b""

    def _fill(self):
        chunk = self.s.recv(65536)
        assert chunk, f"connection closed; unread: {self.buf[:200]!r}"
        self.buf += chunk

    def answer(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        length = int(m.group(1)) if m else 0
        while len(rest) < length:
            self._fill()
            head, rest = self.buf.split(b"\r\n\r\n", 1)
        self.buf = rest[length:]
        lines = head.decode().split("\r\n")
        headers = [tuple(l.split(": ", 1)) for l in lines[1:]]
        return lines[0], headers, rest[:length]

    def closed(self):
        """True when the server closed the connection with nothing more to read."""
        return not self.buf and self.s.recv(1) == b""


def header(headers, name):
    values = [v for k, v in headers if k.lower() == name.lower()]
    assert len(values) == 1, (name, headers)
    return values[0]


def without_uptime(body):
    doc = json.loads(body)
    doc["checks"]["uptime"][0]["observedValue"] = 0
    return doc


def test_the_inline_answer_has_httplibs_bytes(h):
    srv = h.serve()
    # The query sends the same route through httplib; the plain request is answered inline.
    answers = {}
    for path in ("/api/v1/health", "/api/v1/health?via=httplib"):
        with connect(srv) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nX-Request-ID: id-1\r\n\r\n".encode())
            answers[path] = Reader(s).answer()
    (line, inline_headers, inline_body) = answers["/api/v1/health"]
    (hline, httplib_headers, httplib_body) = answers["/api/v1/health?via=httplib"]
    assert line == hline == "HTTP/1.1 200 OK"
    assert inline_headers == httplib_headers  # same names, values and order
    assert header(inline_headers, "X-Request-ID") == "id-1"
    assert without_uptime(inline_body) == without_uptime(httplib_body)
    assert json.loads(inline_body)["status"] == "pass"


def test_a_request_split_across_packets_is_answered_once_whole(h):
    srv = h.serve()
    with connect(srv) as s:
        for part in (b"GET /api/v1/he", b"alth HTTP/1.1\r\nHo", b"st: x\r\n", b"\r\n"):
            s.sendall(part)
            time.sleep(0.15)
        r = Reader(s)
        assert r.answer()[0] == "HTTP/1.1 200 OK"
        s.sendall(HEALTH)  # the connection is still usable
        assert r.answer()[0] == "HTTP/1.1 200 OK"


def test_pipelined_requests_are_answered_in_order_also_when_httplib_takes_over(h):
    srv = h.serve()
    with connect(srv) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nX-Request-ID: a\r\n\r\n"
                  b"GET /api/v1/health HTTP/1.1\r\nX-Request-ID: b\r\n\r\n"
                  b"GET /api/v1/ready HTTP/1.1\r\nX-Request-ID: c\r\n\r\n")
        r = Reader(s)
        ids = []
        for _ in range(3):
            line, headers, body = r.answer()
            assert line == "HTTP/1.1 200 OK"
            ids.append(header(headers, "X-Request-ID"))
        assert ids == ["a", "b", "c"]
        assert "database:reachable" in json.loads(body)["checks"]


def test_requests_the_gate_does_not_answer_still_get_httplibs_answer(h):
    h.write_config("api:\n  cors:\n    allowed_origins: ['https://ops.example']\n")
    srv = h.serve()
    with connect(srv) as s:
        r = Reader(s)
        # A GET with a body: httplib reads the body, then the connection goes on. (Not
        # pipelined: httplib 0.11 drops a request that arrives with the previous one.)
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        assert r.answer()[0] == "HTTP/1.1 200 OK"
        s.sendall(HEALTH)
        assert r.answer()[0] == "HTTP/1.1 200 OK"
    with connect(srv) as s:
        s.sendall(b"HEAD /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        assert data.startswith(b"HTTP/1.1 ") and b"\r\n\r\n" in data
        assert data.split(b"\r\n\r\n", 1)[1] == b""  # no body to a HEAD
    with connect(srv) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nOrigin: https://ops.example\r\n\r\n")
        line, headers, _ = Reader(s).answer()
        assert line == "HTTP/1.1 200 OK"
        assert header(headers, "Access-Control-Allow-Origin") == "https://ops.example"
    with connect(srv) as s:  # a malformed header line: httplib's answer, whatever it is
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nno colon here\r\n\r\n")
        assert Reader(s).answer()[0].startswith("HTTP/1.1 ")
    assert srv.proc.poll() is None


def test_99_pipelined_requests_in_one_packet_get_99_answers_and_the_100th_closes(h):
    # (Short writes to a client that does not read are exercised in the unit test
    # "inline health: a client that pipelines without reading ...": on loopback the kernel's
    # send buffer takes all 99 answers.)
    srv = h.serve()
    n = 99
    with connect(srv, timeout=30) as s:
        s.sendall(HEALTH * n)
        time.sleep(0.5)
        t0 = time.monotonic()
        status, _, _ = srv.request("GET", "/api/v1/health", timeout=5)
        assert status == 200 and time.monotonic() - t0 < 1
        r = Reader(s)
        for i in range(n):
            line, headers, _ = r.answer()
            assert line == "HTTP/1.1 200 OK", i
            assert header(headers, "Keep-Alive") == "timeout=2, max=100", i
        s.sendall(HEALTH)  # the 100th request of the connection: answered, then closed
        _, headers, _ = r.answer()
        assert header(headers, "Connection") == "close"
        assert r.closed()
    assert srv.proc.poll() is None


def test_connection_close_and_the_keep_alive_count_close_the_connection(h):
    srv = h.serve()
    with connect(srv) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n")
        r = Reader(s)
        _, headers, _ = r.answer()
        assert header(headers, "Connection") == "close"
        assert not any(k == "Keep-Alive" for k, _ in headers)
        assert r.closed()
    with connect(srv) as s:
        r = Reader(s)
        for i in range(1, 101):
            s.sendall(HEALTH)
            _, headers, _ = r.answer()
            if i < 100:
                assert header(headers, "Keep-Alive") == "timeout=2, max=100"
        assert header(headers, "Connection") == "close"
        assert r.closed()


def test_an_idle_answered_connection_is_closed_silently_and_a_stalled_one_gets_408(h):
    srv = h.serve()
    with connect(srv) as s:
        r = Reader(s)
        s.sendall(HEALTH)
        r.answer()
        t0 = time.monotonic()
        assert r.closed()  # no 408 on a connection that merely stayed open
        assert 1.5 < time.monotonic() - t0 < 4, "the keep-alive timeout is 2 s"
    with connect(srv) as s:
        r = Reader(s)
        s.sendall(HEALTH)
        r.answer()
        time.sleep(1)
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\n")  # ... and never the rest
        t0 = time.monotonic()
        assert r.answer()[0].startswith("HTTP/1.1 408")
        assert 3 < time.monotonic() - t0 < 8, "a started request gets head_timeout (5 s)"
    assert srv.proc.poll() is None


def test_inline_answers_are_counted_and_logged(h):
    h.write_config("log:\n  level: debug\n  format: json\n")
    srv = h.serve()
    before = metric(srv)
    with connect(srv) as s:
        r = Reader(s)
        for i in range(5):
            s.sendall(f"GET /api/v1/health HTTP/1.1\r\nX-Request-ID: inline-{i}\r\n\r\n".encode())
            r.answer()
    assert metric(srv) == before + 5
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(l) for l in srv.output().splitlines() if l.startswith("{")]
        hits = [l for l in lines if l.get("http.request.id") == "inline-4"]
        if hits:
            break
        time.sleep(0.05)
    assert hits, srv.output()[-2000:]
    line = hits[0]
    assert line["message"] == "http request" and line["log.level"] == "debug"
    assert line["http.route"] == "/api/v1/health"
    assert line["http.response.status_code"] == 200
    assert line["client.address"] == "127.0.0.1"


def metric(srv):
    status, _, body = srv.request("GET", "/api/v1/metrics")
    assert status == 200
    m = re.search(r'hypersdk_http_requests_total\{code="200",method="GET",'
                  r'route="/api/v1/health"\} (\d+)', body.decode())
    return int(m.group(1)) if m else 0

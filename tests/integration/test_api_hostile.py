"""Hostile input against the real server (issue 18 items 1, 4, 6; issue 7 item 4).

Every JSON route gets families of malformed requests over raw sockets: truncated, deeply
nested, numbers that do not fit, wrong types, NUL bytes, invalid UTF-8, huge strings,
conflicting headers. Each must be answered with a 4xx (never a 5xx, never a dropped
connection) within 2 s, must change nothing, and the server must stay alive throughout."""
import json
import socket
import threading
import time

import pytest

DEADLINE = 2.0  # seconds a hostile request may take to be answered

# The JSON routes, with a body that each accepts (so that every family below changes one
# thing in an otherwise valid request). Paths with a schedule name refer to "nightly",
# created by the fixture.
GOOD_JOB = {"type": "noop"}
GOOD_SCHEDULE = {"name": "s2", "cron": "0 2 * * *", "type": "noop"}
ROUTES = [
    ("/api/v1/jobs", GOOD_JOB),
    ("/api/v1/schedules", GOOD_SCHEDULE),
    ("/api/v1/schedules/nightly", {"priority": 5}),
    ("/api/v1/schedules/nightly/run", {"reason": "why"}),
    ("/api/v1/schedules/missing/run", {"reason": "why"}),
]


def raw_request(port, head: bytes, body: bytes = b"", timeout=DEADLINE + 3):
    """Sends bytes as they are; returns (status or None, body bytes, seconds taken)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole body was read (413): the answer is still there
        # No shutdown(SHUT_WR): httplib 0.11 drops a request whose client half-closed.
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
    took = time.monotonic() - start
    if not data.startswith(b"HTTP/1."):
        return None, data, took
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[-1], took


def post(port, path, body: bytes, extra_headers=b"", content_length=None):
    n = len(body) if content_length is None else content_length
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Connection: close\r\n").encode() + extra_headers + f"Content-Length: {n}\r\n\r\n".encode()
    return raw_request(port, head, body)


def nested(depth):
    return "[" * depth + "]" * depth


def with_field(good, key, raw_value):
    """`good` as JSON text with key set to raw_value (JSON text, kept byte for byte)."""
    rest = {k: v for k, v in good.items() if k != key}
    text = json.dumps(rest)
    sep = ", " if rest else ""
    return (text[:-1] + sep + json.dumps(key) + ": " + raw_value + "}").encode()


HUGE_NUMBERS = ["1e309", "-1e309", "9223372036854775808", "18446744073709551616",
                "-9223372036854775809", "4294967296", "9223372036854775807", "1.5", "-1"]
WRONG_TYPES = ['"x"', "[]", "{}", "true", "null", "1.5", "[1]"]


def families(path, good):
    """(name, body bytes) pairs that the API reference refuses for this route."""
    text = json.dumps(good).encode()
    out = [
        ("empty object syntax", b"{"),
        ("truncated", text[: len(text) // 2]),
        ("truncated string", b'{"type": "no'),
        ("deep array body", nested(100000).encode()),
        ("deep payload", with_field(good, "payload", '{"a":' + nested(100000) + "}")),
        ("just too deep", with_field(good, "payload", '{"a":' + nested(40) + "}")),
        ("not an object", b"[1, 2, 3]"),
        ("a string", b'"noop"'),
        ("invalid utf-8", text[:-1] + b', "target": "\xff\xfe"}'),
        ("nul escaped in target", with_field(good, "target", '"a\\u0000b"')),
        ("nul in payload key", with_field(good, "payload", '{"a\\u0000": 1}')),
        ("nul in label", with_field(good, "labels", '{"k": "v\\u0000"}')),
        ("raw nul in body", text[:-1] + b', "target": "a\x00b"}'),
        ("unknown key", with_field(good, "prioirty", "1")),
        ("huge string key", with_field(good, "x" * 200000, "1")),
    ]
    for key in ("priority", "max_retries", "timeout", "run_at", "max_catchup_runs",
                "catchup_window"):
        for n in HUGE_NUMBERS:
            if key == "priority" and n == "-1":
                continue  # a valid priority
            if key in ("run_at",) and n in ("4294967296", "1.5"):
                continue  # 4294967296 ms is 1970-02-19: a valid time
            if key in ("timeout", "catchup_window") and n == "4294967296":
                continue  # 136 years: refused below as too long, but that is its own case
            out.append((f"{key}={n}", with_field(good, key, n)))
        for t in WRONG_TYPES:
            out.append((f"{key}:{t}", with_field(good, key, t)))
    for key in ("type", "target", "provider", "idempotency_key", "timezone", "window"):
        for t in ("1", "[]", "{}", "true", "1e309"):
            out.append((f"{key}:{t}", with_field(good, key, t)))
    out += [
        ("timeout overflow", with_field(good, "timeout", "20000000000000000")),
        ("timeout too long", with_field(good, "timeout", '"100000d"')),
        ("run_at offset +25:00", with_field(good, "run_at", '"2026-01-01T00:00:00+25:00"')),
        ("run_at year 10000", with_field(good, "run_at", '"10000-01-01T00:00:00Z"')),
        ("run_at max int", with_field(good, "run_at", "9223372036854775807")),
        ("idempotency_key too long", with_field(good, "idempotency_key", json.dumps("k" * 300))),
        ("target 900 KB", with_field(good, "target", json.dumps("t" * 900000))),
        ("retry.retry_on deep", with_field(good, "retry", '{"retry_on": ' + nested(100000) + "}")),
        ("retry.max_retries 2^32", with_field(good, "retry", '{"max_retries": 4294967296}')),
        ("retry.base 1e309", with_field(good, "retry", '{"base": 1e309}')),
        ("cron never fires", with_field(good, "cron", '"0 0 30 2 *"')),
    ]
    return out


@pytest.fixture
def srv(h):
    # Hundreds of requests a second from one address: the rate limit would answer 429 before
    # the parser is reached, and the parser is what these tests are about.
    h.write_config("api:\n  rate_limit:\n    requests_per_second: 100000\n    burst: 100000\n")
    s = h.serve()
    status, _, _ = s.api("POST", "/api/v1/schedules",
                         {"name": "nightly", "cron": "0 2 * * *", "type": "noop"})
    assert status == 201
    return s


def counts(srv):
    _, _, jobs = srv.api("GET", "/api/v1/jobs?limit=1000")
    _, _, scheds = srv.api("GET", "/api/v1/schedules")
    return len(jobs["jobs"] if isinstance(jobs, dict) else jobs), json.dumps(scheds, sort_keys=True)


@pytest.mark.parametrize("path,good", ROUTES, ids=[r[0] for r in ROUTES])
def test_every_json_route_refuses_malformed_bodies_quickly_and_stays_up(srv, path, good):
    before = counts(srv)
    failures = []
    for name, body in families(path, good):
        status, answer, took = post(srv.port, path, body)
        if status is None or status >= 500 or 200 <= status < 300 or took > DEADLINE:
            failures.append(f"{name}: status {status} in {took:.2f}s: {answer[:200]!r}")
            continue
        if status == 400:
            err = json.loads(answer)["error"]
            assert err["code"] == "invalid" and err["message"], name
        assert srv.proc.poll() is None, f"serve died on {name}: {srv.output()[-2000:]}"
    assert not failures, "\n".join(failures)
    assert srv.proc.poll() is None
    assert counts(srv) == before, "a refused request changed something"


def test_errors_name_the_field_the_value_and_the_range(srv):
    cases = [
        ({"type": "noop", "priority": 4294967296},
         '"priority" must be an integer from -1000 to 1000, got 4294967296'),
        ({"type": "noop", "max_retries": 2 ** 63}, '"max_retries" must be an integer from 0 to 100'),
        ({"type": "noop", "run_at": 9223372036854775807},
         '"run_at" in milliseconds since the epoch must be from 1970-01-01T00:00:00Z'),
        ({"type": "noop", "timeout": 20000000000000000}, '"timeout" must be a duration'),
        ({"type": "noop", "target": "a\u0000b"}, '"target" contains a NUL character'),
        ({"type": "noop", "payload": {"argv": ["echo", "a\u0000b"]}},
         '"payload.argv[1]" contains a NUL character'),
        ({"type": "noop", "run_at": "2026-01-01T00:00:00+25:00"}, "+25:00"),
    ]
    for body, expected in cases:
        status, _, answer = srv.api("POST", "/api/v1/jobs", body)
        assert status == 400, (body, answer)
        assert expected in answer["error"]["message"], (body, answer)
    status, _, answer = srv.api("POST", "/api/v1/jobs", b'{"type":"noop","priority":1e309}')
    assert status == 400 and "1e309" in answer["error"]["message"]
    status, _, answer = srv.api("POST", "/api/v1/schedules",
                                {"name": "feb30", "cron": "0 0 30 2 *", "type": "noop"})
    assert status == 400 and "never fires" in answer["error"]["message"], answer


def test_valid_edges_are_still_accepted(srv):
    """The limits refuse only what the reference refuses: the edges themselves pass."""
    for body in [
        {"type": "noop", "priority": 1000, "max_retries": 100, "timeout": "366d"},
        {"type": "noop", "priority": -1000, "run_at": "9999-12-31T23:59:59Z"},
        {"type": "noop", "run_at": "2026-01-01T00:00:00+18:00", "timeout": 60},
        {"type": "noop", "payload": {"a": json.loads(nested(30))}},
        {"type": "noop", "holidays": " ", "target": "t" * 1000},
    ]:
        status, _, answer = srv.api("POST", "/api/v1/jobs", body)
        assert status == 201, (body, answer)


def test_a_body_followed_by_a_nul_byte_is_refused(srv):
    status, answer, _ = post(srv.port, "/api/v1/jobs", b'{"type":"noop"}\x00')
    assert status == 400, answer
    assert b"NUL" in answer


def test_conflicting_content_length_headers_are_refused(srv):
    body = b'{"type":"noop"}'
    for extra in (b"Content-Length: 5\r\n", b"Content-Length: 15\r\n"):
        status, answer, took = post(srv.port, "/api/v1/jobs", body, extra_headers=extra)
        assert status == 400, (extra, answer)
        assert b"Content-Length" in answer
        assert took < DEADLINE
    assert counts(srv)[0] == 0


def test_a_body_shorter_than_its_content_length_does_not_hold_the_server(srv):
    """The client promises 1000 bytes, sends 10 and waits: the server answers (408 or 400)
    in bounded time, and health answers meanwhile."""
    with socket.create_connection(("127.0.0.1", srv.port)) as s:
        s.sendall(b"POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"type\":\"")
        t0 = time.monotonic()
        status, _, _ = srv.request("GET", "/api/v1/health", timeout=5)
        assert status == 200 and time.monotonic() - t0 < 1.0
        s.settimeout(15)
        data = s.recv(4096)
        assert data == b"" or data.startswith(b"HTTP/1.1 4"), data


def test_health_answers_within_a_second_while_64_slow_clients_trickle_headers(srv):
    stop = threading.Event()
    opened = []

    def slow_client():
        try:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        except OSError:
            return
        opened.append(s)
        try:
            s.sendall(b"GET /api/v1/jobs HTTP/1.1\r\n")
            i = 0
            while not stop.wait(0.5):
                s.sendall(f"X-Slow-{i}: {'a' * 10}\r\n".encode())
                i += 1
        except OSError:
            pass  # the server gave up on us: that is the point

    threads = [threading.Thread(target=slow_client, daemon=True) for _ in range(64)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 10
        while len(opened) < 64 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(opened) == 64, f"only {len(opened)} slow clients connected"
        time.sleep(1.0)  # every slow client has sent its request line and a header or two
        worst = 0.0
        for _ in range(10):
            t0 = time.monotonic()
            status, _, _ = srv.request("GET", "/api/v1/health", timeout=5)
            worst = max(worst, time.monotonic() - t0)
            assert status == 200
            status, _, _ = srv.request("GET", "/api/v1/ready", timeout=5)
            assert status in (200, 503)
            time.sleep(0.2)
        assert worst < 1.0, f"health took {worst:.2f}s behind 64 slow clients"
        # Ordinary requests get through too, once the slow ones are cut off.
        t0 = time.monotonic()
        status, _, _ = srv.request("GET", "/api/v1/jobs", timeout=15)
        assert status == 200
    finally:
        stop.set()
        for s in opened:
            s.close()
    assert srv.proc.poll() is None


def test_cli_flags_and_job_files_get_the_same_limits(h):
    """Without a server the CLI parses requests itself: same rules, exit code 2, no crash."""
    h.run("db", "migrate", check=True)
    r = h.run("submit", "--type", "noop", "--priority", "4294967296")
    assert r.returncode == 2, r.stderr
    assert '"priority" must be an integer from -1000 to 1000, got 4294967296' in r.stderr
    r = h.run("submit", "--type", "noop", "--timeout", "20000000000000000")
    assert r.returncode == 2 and '"timeout"' in r.stderr, r.stderr
    r = h.run("submit", "--type", "noop", "--run-at", "2026-01-01T00:00:00+25:00")
    assert r.returncode == 2 and "+25:00" in r.stderr, r.stderr
    r = h.run("schedule", "create", "--name", "feb30", "--cron", "0 0 30 2 *", "--type", "noop")
    assert r.returncode == 2 and "never fires" in r.stderr, r.stderr
    r = h.run("schedule", "create", "--name", "big", "--cron", "0 2 * * *", "--type", "noop",
              "--max-catchup-runs", "4294967297")
    assert r.returncode == 2 and "from 1 to 1000" in r.stderr, r.stderr

    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 10):
        bomb += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n"
    (h.tmp / "bomb.yaml").write_text("type: noop\npayload:\n  " + bomb.replace("\n", "\n  "))
    t0 = time.monotonic()
    r = h.run("submit", "--file", str(h.tmp / "bomb.yaml"), timeout=30)
    assert r.returncode == 2 and "aliases are expanded" in r.stderr, r.stderr
    assert time.monotonic() - t0 < 5

    (h.tmp / "deep.json").write_text('{"type":"noop","payload":{"a":' + nested(100000) + "}}")
    r = h.run("submit", "--file", str(h.tmp / "deep.json"))
    assert r.returncode == 2 and "deeper than 32 levels" in r.stderr, r.stderr
    (h.tmp / "deep.yaml").write_text("type: noop\npayload: " + nested(100000) + "\n")
    r = h.run("submit", "--file", str(h.tmp / "deep.yaml"))
    assert r.returncode == 2, r.stderr
    assert h.json("list") == []


def test_routes_without_a_body_and_query_parameters_survive_hostile_input(srv):
    """Routes that take no body ignore one, but a hostile one must not hurt them; hostile
    query parameters are refused with a 4xx."""
    status, _, job = srv.api("POST", "/api/v1/jobs", {"type": "noop"})
    assert status == 201
    jid = job["id"]
    bodies = [nested(100000).encode(), b'{"a":"\x00"}', b'{"a":1e309}', b"\xff\xfe", b"{"]
    for path in (f"/api/v1/jobs/{jid}/cancel", f"/api/v1/jobs/{jid}/retry",
                 f"/api/v1/dlq/{jid}/replay", "/api/v1/schedules/nightly/pause",
                 "/api/v1/schedules/nightly/resume"):
        for body in bodies:
            status, answer, took = post(srv.port, path, body)
            assert status is not None and status < 500 and took < DEADLINE, (path, status, answer)
    for query in ("/api/v1/jobs?limit=1e309", "/api/v1/jobs?limit=9223372036854775808",
                  "/api/v1/jobs?cursor=%00", "/api/v1/jobs?status=%ff%fe",
                  f"/api/v1/jobs/{jid}/logs?after=99999999999999999999999",
                  "/api/v1/schedules/nightly/next?count=4294967296",
                  "/api/v1/schedules/nightly/next?from=2026-01-01T00:00:00%2B25:00",
                  "/api/v1/audit?limit=-1", "/api/v1/jobs/" + "9" * 40):
        status, answer, took = raw_request(
            srv.port, f"GET {query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert status is not None and 400 <= status < 500 and took < DEADLINE, (query, status, answer)
    assert srv.proc.poll() is None


def test_a_keep_alive_connection_cannot_trickle_its_next_request(srv):
    """The gate sees only a connection's first request; the next one on the same keep-alive
    connection is bounded too (5 s head timeout, checked at least every 5 s)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(4096)
        head, rest = data.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200"), head
        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0]
                     .split(b":")[1])
        while len(rest) < length:
            rest += s.recv(4096)
        assert b"connection: close" not in head.lower(), "keep-alive is expected to stay on"
        t0 = time.monotonic()
        s.sendall(b"GET /api/v1/jobs HTTP/1.1\r\n")
        s.settimeout(0.5)
        closed_after = None
        i = 0
        while time.monotonic() - t0 < 20:
            try:
                if s.recv(4096) == b"":
                    closed_after = time.monotonic() - t0
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed_after = time.monotonic() - t0
                break
            try:
                s.sendall(f"X-Slow-{i}: a\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - t0
                break
            i += 1
        assert closed_after is not None and closed_after < 12, closed_after
    status, _, _ = srv.request("GET", "/api/v1/health", timeout=5)
    assert status == 200


def test_a_deep_payload_already_stored_is_shown_without_recursion(h):
    """An older version stored 65,000-deep payloads; reading such a job must stay quick."""
    import sqlite3
    h.run("db", "migrate", check=True)
    jid = h.submit("--type", "noop")
    deep = '{"a":' + nested(65000) + "}"
    con = sqlite3.connect(h.db)
    con.execute("UPDATE jobs SET payload = ? WHERE id = 1", (deep,))
    con.commit()
    con.close()
    t0 = time.monotonic()
    job = h.json("query", "--id", jid, timeout=30)
    assert time.monotonic() - t0 < 5
    assert job["payload"] == deep  # shown as its text
    rows = h.json("list", "--limit", "1", timeout=30)
    assert rows[0]["payload"] == deep

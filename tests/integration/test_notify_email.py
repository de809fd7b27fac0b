"""The email receiver against a real SMTP server on loopback (Debian's python3-aiosmtpd):
HTML + text with the job's log attached, Date and Message-ID; STARTTLS required against a
server without TLS fails with a clear error; 20 warnings in one digest interval arrive as one
message while a critical event is sent at once."""
import email
import email.policy
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from conftest import free_port, wait_for

EXEC_ON = {"HYPERSDK_JOBS__EXEC__ENABLED": "true"}


class Capture:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"

    def all(self):
        with self.lock:
            return list(self.messages)


@pytest.fixture
def smtp():
    cap = Capture()
    ctl = Controller(cap, hostname="127.0.0.1", port=free_port())
    ctl.start()
    cap.url = f"smtp://127.0.0.1:{ctl.port}"
    yield cap
    ctl.stop()


def mail_config(url, tls="none", digest="0", routes="[job.failed, job.cancelled]"):
    return (
        "notifications:\n"
        "  receivers:\n"
        "    mail:\n"
        "      type: email\n"
        f"      url: {url}\n"
        "      from: hypersdk@example.com\n"
        "      to: [ops@example.com, oncall@example.com]\n"
        f"      tls: {tls}\n"
        f"      digest: {digest}\n"
        "      allow_private: true\n"
        "  routes:\n"
        f"    - match: {{event: {routes}}}\n"
        "      receivers: [mail]\n"
        "  retry: {base: 100ms, cap: 1s, max_attempts: 2}\n")


def test_email_has_html_text_the_job_log_and_headers(h, smtp):
    h.write_config(mail_config(smtp.url))
    srv = h.serve(env=EXEC_ON)
    try:
        job = h.submit("--type", "exec", "--retry-max", "0", "--", "/bin/sh", "-c",
                       "echo copying disk 1; echo copying disk 2; exit 3")
        wait_for(lambda: smtp.all(), what="an email")
        frm, rcpts, msg = smtp.all()[0]
        assert frm == "hypersdk@example.com"
        assert rcpts == ["ops@example.com", "oncall@example.com"]
        assert msg["Date"] and msg["Message-ID"].startswith("<hypersdk.")
        assert job in msg["Subject"] and "job.failed" in msg["Subject"]
        text = msg.get_body(preferencelist=("plain",)).get_content()
        html = msg.get_body(preferencelist=("html",)).get_content()
        assert job in text and "job.failed" in text
        assert "<table" in html and job in html
        logs = [p for p in msg.iter_attachments() if p.get_filename() == f"{job}.log"]
        assert logs, [p.get_filename() for p in msg.iter_attachments()]
        assert "copying disk 2" in logs[0].get_content()
        wait_for(lambda: h.json("notify", "list", "--status=delivered"), what="recorded")
    finally:
        srv.stop()


def test_starttls_required_against_a_server_without_tls_fails_clearly(h, smtp):
    h.write_config(mail_config(smtp.url, tls="starttls"))
    srv = h.serve(env=EXEC_ON)
    try:
        h.submit("--type", "exec", "--retry-max", "0", "--", "/bin/false")
        failed = wait_for(lambda: h.json("notify", "list", "--status=failed"), what="failure")
        assert "does not offer STARTTLS" in failed[0]["last_error"]
        assert smtp.all() == []  # nothing went out in the clear
    finally:
        srv.stop()
    r = h.run("notify", "test", "mail")
    assert r.returncode != 0 and "STARTTLS" in r.stdout + r.stderr


def test_twenty_warnings_in_one_digest_interval_arrive_as_one_email(h, smtp):
    h.write_config(mail_config(smtp.url, digest="4s"))
    srv = h.serve(env=EXEC_ON)
    try:
        # Wall clock, as serve's created_at and digest rule use (a VM's clock can be stepped
        # against the monotonic one: once this test saw 3.13 s "pass" for a 4 s interval).
        start = time.time()
        # Over the API: twenty CLI processes can outlast the interval on a slow (ASan) build.
        for _ in range(20):  # job.cancelled: warning
            status, _, j = srv.api("POST", "/api/v1/jobs",
                                   {"type": "noop", "run_at": "2099-01-01T00:00:00Z"})
            assert status == 201, j
            status, _, body = srv.api("POST", f"/api/v1/jobs/{j['id']}/cancel")
            assert status == 200, body
        bad = h.submit("--type", "exec", "--retry-max", "0", "--", "/bin/false")  # critical
        wait_for(lambda: smtp.all(), what="the critical email")
        first = smtp.all()[0][2]
        assert bad in first["Subject"] and "digest" not in first["Subject"]
        wait_for(lambda: len(smtp.all()) >= 2, timeout=30, what="the digest")
        assert time.time() - start >= 4.0
        time.sleep(1.0)
        msgs = smtp.all()
        assert len(msgs) == 2, [m[2]["Subject"] for m in msgs]
        digest = msgs[1][2]
        assert "digest: 20 events" in digest["Subject"]
        assert digest.get_body(preferencelist=("plain",)).get_content().count("job.cancelled") == 20
        assert len(h.json("notify", "list", "--status=delivered", "--limit", "100")) == 21
    finally:
        srv.stop()

"""The vCenter simulator harness (tests/vcsim) as a test fixture: started on a free loopback
port with a certificate made by openssl for the test, stopped afterwards. Also a minimal
vim25 SOAP client, so harness tests speak the protocol without hypersdk in between."""
import http.cookiejar
import json
import os
import re
import ssl
import subprocess
import urllib.request
from pathlib import Path
from xml.sax.saxutils import escape

VCSIM = os.environ.get("HYPERSDK_VCSIM") or str(
    Path(__file__).resolve().parents[2] / "build" / "tests" / "vcsim-hypersdk")


def make_cert(dir: Path):
    """A self-signed certificate for 127.0.0.1: (cert, key) paths; the cert is its own CA."""
    cert, key = dir / "vcsim.crt", dir / "vcsim.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class Vcsim:
    def __init__(self, tmp: Path, disk: Path = None, username="user", password="pass"):
        assert Path(VCSIM).exists(), f"{VCSIM} missing: build the tree (make build) first"
        self.cert, key = make_cert(tmp)
        args = [VCSIM, "-listen", "127.0.0.1:0", "-cert", str(self.cert), "-key", str(key),
                "-username", username, "-password", password]
        if disk:
            args += ["-disk", str(disk)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline()
        assert line, "vcsim exited before printing its address"
        self.info = json.loads(line)
        self.url = self.info["url"]
        self.base = self.url.rsplit("/sdk", 1)[0]

    def stop(self):
        self.proc.kill()
        self.proc.wait()

    def ssl_context(self):
        return ssl.create_default_context(cafile=str(self.cert))

    def expire_sessions(self):
        req = urllib.request.Request(self.base + "/harness/expire-sessions", method="POST",
                                     data=b"")
        with urllib.request.urlopen(req, context=self.ssl_context(), timeout=10) as r:
            return json.loads(r.read())["expired"]

    def throttle(self, bps: int):
        """Datastore downloads send bps bytes a second from now on (0: full speed)."""
        req = urllib.request.Request(f"{self.base}/harness/throttle?bps={bps}", method="POST",
                                     data=b"")
        with urllib.request.urlopen(req, context=self.ssl_context(), timeout=10) as r:
            assert json.loads(r.read())["bps"] == bps

    def sessions(self):
        """How many client sessions are open (the harness's own not counted)."""
        with urllib.request.urlopen(self.base + "/harness/sessions",
                                    context=self.ssl_context(), timeout=10) as r:
            return json.loads(r.read())["sessions"]

    def lease_calls(self):
        """{"HttpNfcLeaseProgress": n, "HttpNfcLeaseComplete": n, "HttpNfcLeaseAbort": n}."""
        with urllib.request.urlopen(self.base + "/harness/lease-calls",
                                    context=self.ssl_context(), timeout=10) as r:
            return json.loads(r.read())

    def hold(self, what: str):
        """Arms the harness: the next snapshot task ("task") reads as running, or the next
        export lease ("lease") as initializing, until the client gives up on it."""
        req = urllib.request.Request(f"{self.base}/harness/hold?what={what}", method="POST",
                                     data=b"")
        with urllib.request.urlopen(req, context=self.ssl_context(), timeout=10) as r:
            assert json.loads(r.read())["held"] == what

    def expire_sessions_after_next_export(self):
        """Arms the harness: right after it hands out the next export lease, every client
        session ends, so the client meets the expiry in the middle of its export."""
        req = urllib.request.Request(self.base + "/harness/expire-sessions?after=export",
                                     method="POST", data=b"")
        with urllib.request.urlopen(req, context=self.ssl_context(), timeout=10) as r:
            assert json.loads(r.read())["armed"] is True


class Soap:
    """Just enough vim25 to drive the harness: a session cookie and raw envelopes."""

    def __init__(self, sim: Vcsim):
        self.sim = sim
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            urllib.request.HTTPSHandler(context=sim.ssl_context()))

    def call(self, body: str):
        """(HTTP status, response text) of one SOAP call."""
        env = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
               'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
               'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
               + body + '</soapenv:Body></soapenv:Envelope>')
        req = urllib.request.Request(self.sim.url, data=env.encode(), method="POST", headers={
            "Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:vim25/7.0"})
        try:
            with self.opener.open(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def login(self, user="user", password="pass"):
        return self.call('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager'
                         f'</_this><userName>{escape(user)}</userName>'
                         f'<password>{escape(password)}</password></Login>')

    def find_vm(self, name):
        """The moref value of the VM called name (SearchIndex.FindByInventoryPath)."""
        status, text = self.call(
            '<FindByInventoryPath xmlns="urn:vim25"><_this type="SearchIndex">SearchIndex'
            f'</_this><inventoryPath>DC0/vm/{escape(name)}</inventoryPath></FindByInventoryPath>')
        m = re.search(r'<returnval type="VirtualMachine">([^<]+)</returnval>', text)
        assert m, f"no VM {name}: {status} {text[:300]}"
        return m.group(1)

    def export_vm(self, vm_ref):
        return self.call(f'<ExportVm xmlns="urn:vim25"><_this type="VirtualMachine">{vm_ref}'
                         '</_this></ExportVm>')

    def get(self, url):
        with self.opener.open(url, timeout=30) as r:
            return r.read()

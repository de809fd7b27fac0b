"""The OpenAPI document as a running serve publishes it: valid for an independent validator
(npm @apidevtools/swagger-parser, tests/node), identical to docs/openapi.json, and every
operation it lists is a route the real binary answers (no 404 "no route", no 405)."""
import copy
import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "tests" / "node"


def validate(path):
    assert (NODE_DIR / "node_modules" / "@apidevtools" / "swagger-parser").is_dir(), \
        "npm test tools missing: run make deps-npm"
    return subprocess.run(["node", str(NODE_DIR / "validate_openapi.js"), str(path)],
                          capture_output=True, text=True, timeout=60, cwd=NODE_DIR)


def test_served_document_is_valid_and_is_the_repo_file(h):
    srv = h.serve()
    status, hdrs, body = srv.request("GET", "/api/v1/openapi.json")
    assert status == 200, body
    assert hdrs["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc == json.loads((ROOT / "docs" / "openapi.json").read_text())
    served = h.tmp / "served-openapi.json"
    served.write_bytes(body)
    r = validate(served)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("valid 3.1"), r.stdout

    # The validator really checks (OpenAPI 3.1 no longer requires "responses", so the
    # breakage is a parameter in no valid place).
    broken = copy.deepcopy(doc)
    broken["components"]["parameters"]["JobId"]["in"] = "nowhere"
    bad = h.tmp / "broken-openapi.json"
    bad.write_text(json.dumps(broken))
    r = validate(bad)
    assert r.returncode != 0 and "/in must be equal to one of the allowed values" in r.stderr, \
        r.stdout + r.stderr


def test_every_documented_operation_is_routed(h):
    srv = h.serve()
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text())
    unrouted = []
    for path, item in doc["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "zz-no-such-thing", path)
        for method in item:
            if method == "get" and path.endswith("/logs"):
                concrete += "?follow=0"
            if path == "/api/v1/events":
                concrete += "?heartbeat=0"  # refused (400) rather than a stream that never ends
            status, _, body = srv.request(method.upper(), concrete,
                                          body=b"{}" if method == "post" else None)
            text = body.decode(errors="replace")
            if status == 405 or (status == 404 and "no route" in text):
                unrouted.append(f"{method.upper()} {path}: {status} {text[:120]}")
    assert not unrouted, "documented but not served:\n" + "\n".join(unrouted)

#!/usr/bin/python3
"""upload_bench.py [BUILD_DIR] [SIZE_MIB]: uploads one file (1 GiB by default) to a local S3
server (s3rver from tests/node, which checks SigV4) twice in the same run: with `curl -T`
(one signed PUT, libcurl's --aws-sigv4) and as a hypersdk `upload` job through `serve` (its
multipart path with the default settings: 16 MiB parts, 4 at a time, SHA-256 and MD5 computed
and checked). Prints both times and their ratio; the target is hypersdk <= 1.2x curl. Also times
the same multipart upload done by hand with curl (16 MiB parts, 4 at a time), the server's own
floor for a multipart upload, and `curl -T` with the file's MD5 and SHA-256 computed beside it
(two `openssl dgst` processes, concurrently): the floor of any client that checks what it sent
(s3rver's ETag is an MD5) and reports its SHA-256, on this machine's cores."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from conftest import Hypersdk  # noqa: E402
from target_servers import S3Server, make_file, s3_target_yaml, wait_job  # noqa: E402


CURL_SIGV4 = ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "S3RVER:S3RVER",
              "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]


def curl_multipart(tmp, src, url, part_mib=16, parallel=4):
    """The same multipart upload as hypersdk's defaults done with curl: the server's own floor
    (s3rver stores each part, then reads them all back on complete). The file is split into
    part files first (not timed: curl -T cannot send a byte range); returns the seconds of
    create + parts (`parallel` curl processes at a time) + complete."""
    parts_dir = tmp / "curl-parts"
    parts_dir.mkdir()
    subprocess.run(["split", "-b", f"{part_mib}M", "-d", "-a", "4", str(src),
                    str(parts_dir / "p")], check=True)
    parts = sorted(parts_dir.iterdir())
    subprocess.run(["cat", *map(str, parts)], stdout=subprocess.DEVNULL, check=True)
    t0 = time.monotonic()
    out = subprocess.run(["curl", "-sS", "-f", "-X", "POST", *CURL_SIGV4, f"{url}?uploads="],
                         capture_output=True, text=True, check=True).stdout
    upload_id = re.search(r"<UploadId>([^<]+)</UploadId>", out).group(1)
    etags = {}
    running = []

    def reap(p):
        n, proc = p
        headers, _ = proc.communicate()
        assert proc.returncode == 0, headers
        etags[n] = re.search(r"(?im)^etag:\s*(\S+)", headers).group(1)

    for n, part in enumerate(parts, 1):
        if len(running) >= parallel:
            reap(running.pop(0))
        running.append((n, subprocess.Popen(
            ["curl", "-sS", "-f", "-D", "-", "-o", "/dev/null", "-T", str(part), *CURL_SIGV4,
             f"{url}?partNumber={n}&uploadId={upload_id}"], stdout=subprocess.PIPE, text=True)))
    for p in running:
        reap(p)
    xml = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
        for n, e in sorted(etags.items())) + "</CompleteMultipartUpload>"
    subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", "-X", "POST", *CURL_SIGV4,
                    "--data-binary", xml, f"{url}?uploadId={upload_id}"], check=True)
    return time.monotonic() - t0, len(parts)


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build").resolve()
    size_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    os.environ["HYPERSDK_BIN"] = str(build / "hypersdk")
    import conftest
    conftest.BIN = str(build / "hypersdk")
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as d:
        tmp = Path(d)
        src = make_file(tmp / "disk.img", size_mib * 1024 * 1024)
        # UPLOAD_BENCH_ETAG=aws: completed objects get AWS's multipart ETag (tests/node/s3rver_run.js).
        s3 = S3Server(tmp, etag=os.environ.get("UPLOAD_BENCH_ETAG", "s3rver"))
        try:
            # Warm the page cache for both runs alike.
            subprocess.run(["cat", str(src)], stdout=subprocess.DEVNULL, check=True)
            t0 = time.monotonic()
            subprocess.run(
                ["curl", "-sS", "-f", "-o", "/dev/null", "-T", str(src),
                 "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "S3RVER:S3RVER",
                 "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                 f"{s3.endpoint}/test/curl.img"], check=True)
            curl_s = time.monotonic() - t0
            t0 = time.monotonic()
            hashers = [subprocess.Popen(["openssl", "dgst", alg, str(src)],
                                        stdout=subprocess.DEVNULL) for alg in ("-md5", "-sha256")]
            subprocess.run(
                ["curl", "-sS", "-f", "-o", "/dev/null", "-T", str(src), *CURL_SIGV4,
                 f"{s3.endpoint}/test/curl-hashed.img"], check=True)
            for p in hashers:
                p.wait()
            curl_hashed_s = time.monotonic() - t0
            curl_mp_s, curl_mp_parts = curl_multipart(tmp, src, f"{s3.endpoint}/test/curl-mp.img")

            (tmp / "h").mkdir()
            h = Hypersdk(tmp / "h")
            # UPLOAD_BENCH_TARGET_EXTRA: more target settings, e.g. "    parallel: 2\n".
            h.write_config("targets:\n" + s3_target_yaml(
                "s3", s3, extra=os.environ.get("UPLOAD_BENCH_TARGET_EXTRA", "")))
            srv = h.serve()
            t0 = time.monotonic()
            status, _, job = srv.api("POST", "/api/v1/jobs", {
                "type": "upload", "payload": {"target": "s3", "path": str(src), "key": "hypersdk.img"}})
            assert status == 201, job
            job = wait_job(srv, job["id"], timeout=1800)
            hyper_s = time.monotonic() - t0
            assert job["status"] == "succeeded", job
            srv.stop()
            h.close()
            # s3rver assembles a multipart object itself when it is completed (reads every
            # part, writes the object): time the server spends after the last part.
            complete = [e for e in s3.log() if e["method"] == "POST" and "uploadId=" in e["url"]
                        and "hypersdk.img" in e["url"]]
            print(json.dumps({
                "size_mib": size_mib,
                "curl_T_seconds": round(curl_s, 2),
                "hypersdk_upload_seconds": round(hyper_s, 2),
                "ratio": round(hyper_s / curl_s, 3),
                "curl_T_with_md5_sha256_seconds": round(curl_hashed_s, 2),
                "ratio_to_curl_T_with_hashes": round(hyper_s / curl_hashed_s, 3),
                "curl_multipart_seconds": round(curl_mp_s, 2),
                "curl_multipart_parts": curl_mp_parts,
                "ratio_to_curl_multipart": round(hyper_s / curl_mp_s, 3),
                "hypersdk_parts": job["result"]["parts"],
                "checked_by": job["result"]["checked_by"],
                "s3rver_complete_seconds": round(complete[0]["ms"] / 1000, 2) if complete else 0,
            }))
        finally:
            s3.stop()


if __name__ == "__main__":
    main()

"""A webhook receiver on loopback for the notification tests: records every request (path,
headers, body, arrival time) and answers from a per-path script of (status, headers) or
(status, headers, delay_seconds) that repeats its last entry."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, script=None):
        self.requests = []
        self.lock = threading.Lock()
        self.script = script or {}  # path -> [(status, headers), ...]; default 200
        self.served = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({
                        "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body.decode(), "at": time.monotonic()})
                    steps = receiver.script.get(self.path) or receiver.script.get("*") or [(200, {})]
                    n = receiver.served.get(self.path, 0)
                    receiver.served[self.path] = n + 1
                    status, headers, *delay = steps[min(n, len(steps) - 1)]
                if delay:
                    time.sleep(delay[0])
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]

    def bodies(self, path=None):
        return [json.loads(r["body"]) for r in self.received(path)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

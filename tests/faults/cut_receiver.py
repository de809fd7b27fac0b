"""A webhook receiver for the fault suite that records every request it received in full and,
on a seeded schedule, cuts the connection mid-transfer:

- "request" cut: reads half of the body, then resets the connection (RST). The request did
  not arrive, so it is not recorded as received; the sender must retry it.
- "response" cut: reads the whole body, sends the status line and a Content-Length longer
  than what follows, then resets. The request did arrive (recorded), but the sender cannot
  know, so it must retry and the receiver sees it again (at-least-once).

The first request is always cut (so every run exercises a cut); later ones with probability
`cut_rate`."""
import json
import random
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CutReceiver:
    def __init__(self, seed: int, cut_rate: float = 0.08):
        self.rng = random.Random(seed)
        self.cut_rate = cut_rate
        self.lock = threading.Lock()
        self.received = []  # [{"id": webhook-id, "body": dict, "at": monotonic}]
        self.cuts = []  # [(kind, webhook-id)]
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                wid = self.headers.get("webhook-id", "")
                with receiver.lock:
                    receiver.count += 1
                    first = receiver.count == 1
                    cut = first or receiver.rng.random() < receiver.cut_rate
                    kind = receiver.rng.choice(("request", "response")) if cut else None
                if kind == "request":
                    self.rfile.read(length // 2)
                    receiver._reset(self, kind, wid)
                    return
                body = self.rfile.read(length)
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {"unparsable": body.decode(errors="replace")}
                with receiver.lock:
                    receiver.received.append({"id": wid, "body": doc, "at": time.monotonic()})
                if kind == "response":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok")
                    self.wfile.flush()
                    receiver._reset(self, kind, wid)
                    return
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def finish(self):
                try:
                    super().finish()
                except OSError:
                    pass  # the connection this handler cut on purpose

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a sender killed with SIGKILL resets its connections: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _reset(self, handler, kind, wid):
        # SO_LINGER {on, 0}: close() sends RST instead of FIN, a connection cut rather than an
        # orderly end.
        sock = handler.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        with self.lock:
            self.cuts.append((kind, wid))
        try:
            sock.close()
        except OSError:
            pass

    def received_ids(self):
        with self.lock:
            return [r["id"] for r in self.received]

    def cut_list(self):
        with self.lock:
            return list(self.cuts)

    def close(self):
        self.server.shutdown()
        self.server.server_close()

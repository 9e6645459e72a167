#!/usr/bin/env python3
"""A stand-in for the Kubernetes API server, on loopback, for the --kubernetes
integration tests. Requires "Authorization: Bearer <token>" and writes the
port it listens on to PORT_FILE once ready.

  GET /api/v1/pods?fieldSelector=spec.nodeName=<node>[&resourceVersion=..]
      the pod list file
  GET /api/v1/pods?fieldSelector=spec.nodeName=<node>&watch=1&resourceVersion=RV
      streams the lines appended to EVENTS_FILE (one JSON watch event per
      line) from the moment of the request, until timeoutSeconds

Every request is logged to LOG_FILE as "LIST <resourceVersion>" or
"WATCH <resourceVersion>", so a test can count them.

    fake_apiserver.py PORT_FILE PODLIST_JSON TOKEN NODE [EVENTS_FILE LOG_FILE]
"""
import http.server
import os
import sys
import time
import urllib.parse

port_file, podlist_path, token, node = sys.argv[1:5]
events_path = sys.argv[5] if len(sys.argv) > 5 else None
log_path = sys.argv[6] if len(sys.argv) > 6 else None
with open(podlist_path, "rb") as f:
    podlist = f.read()


def log(line):
    if log_path:
        with open(log_path, "a") as f:
            f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if self.headers.get("Authorization") != "Bearer " + token:
            self.send_response(401)
            self.end_headers()
            return
        if url.path != "/api/v1/pods" or query.get("fieldSelector") != ["spec.nodeName=" + node]:
            self.send_response(404)
            self.end_headers()
            return
        rv = query.get("resourceVersion", [""])[0]
        if query.get("watch") == ["1"]:
            log("WATCH " + rv)
            self.watch(float(query.get("timeoutSeconds", ["300"])[0]))
            return
        log("LIST " + rv)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(podlist)))
        self.end_headers()
        self.wfile.write(podlist)

    def watch(self, timeout):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes
        offset = os.path.getsize(events_path) if events_path and os.path.exists(events_path) else 0
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                if events_path and os.path.exists(events_path):
                    with open(events_path, "rb") as f:
                        f.seek(offset)
                        data = f.read()
                    # Whole lines only.
                    end = data.rfind(b"\n") + 1
                    if end > 0:
                        self.wfile.write(data[:end])
                        self.wfile.flush()
                        offset += end
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()

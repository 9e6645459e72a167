#!/usr/bin/env python3
"""A stand-in for the Kubernetes API server, on loopback, for the --kubernetes
integration test. Serves GET /api/v1/pods?fieldSelector=spec.nodeName=<node>
with the pod list file, requires "Authorization: Bearer <token>", and writes
the port it listens on to PORT_FILE once ready.

    fake_apiserver.py PORT_FILE PODLIST_JSON TOKEN NODE
"""
import http.server
import sys
import urllib.parse

port_file, podlist_path, token, node = sys.argv[1:5]
with open(podlist_path, "rb") as f:
    podlist = f.read()


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
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(podlist)))
        self.end_headers()
        self.wfile.write(podlist)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()

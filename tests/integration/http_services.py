#!/usr/bin/env python3
"""Services for the HTTP/1.x integration test.

  http_services.py serve PORTFILE
      HTTP/1.1 server on 127.0.0.1 (keep-alive capable): /ok 200, /missing 404,
      /fail 500, /slow 200 after 50 ms. Writes its port to PORTFILE.
  http_services.py others N
      N exchanges each with a TCP echo server that speaks no HTTP and with an
      HTTP/1.1 server on a Unix socket, clients in this process too; exits 0.
"""
import http.client
import http.server
import os
import socket
import socketserver
import sys
import tempfile
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        status = {"/ok": 200, "/missing": 404, "/fail": 500, "/slow": 200}.get(self.path, 404)
        if self.path == "/slow":
            time.sleep(0.05)
        body = b"hello\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/plain")
        # ab -k speaks HTTP/1.0 and keeps the connection only when told so.
        if self.headers.get("Connection", "").lower() == "keep-alive":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(port_file):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, port_file)
    server.serve_forever()


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(4096)
            if not data:
                return
            self.request.sendall(data)


class UnixHttp(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


def others(n):
    echo = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    echo.daemon_threads = True
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    with socket.create_connection(echo.server_address) as c:
        for i in range(n):
            c.sendall(b"ping %d\n" % i)
            c.recv(4096)
    path = os.path.join(tempfile.mkdtemp(prefix="hostprobe-uhttp-"), "sock")
    unix = UnixHttp(path, Handler)
    threading.Thread(target=unix.serve_forever, daemon=True).start()
    conn = UnixConnection(path)
    for _ in range(n):
        conn.request("GET", "/ok")
        conn.getresponse().read()
    conn.close()
    unix.shutdown()
    echo.shutdown()
    os.unlink(path)
    os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        others(int(sys.argv[2]))

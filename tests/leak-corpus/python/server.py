"""HTTP/1.1 request handler for the leak corpus.

    python3 server.py PORT MODE BYTES [CACHE_ENTRIES]

Every request builds a record of BYTES bytes (a request log entry) and answers
with its checksum. MODE: leak (appended to a global request log that is never
trimmed), clean (dropped after the response), cache (an LRU cache of
CACHE_ENTRIES keyed by path: fills, then plateaus).
"""
import collections
import http.server
import sys
import time
import zlib

port, mode, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
max_entries = int(sys.argv[4]) if len(sys.argv) > 4 else 0
request_log = []                      # leak: grows forever
cache = collections.OrderedDict()     # cache: LRU


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        head = "%f %s %s %s\n" % (time.time(), self.command, self.path, self.headers.get("User-Agent", ""))
        record = (head * (size // len(head) + 1))[:size].encode()
        if mode == "leak":
            request_log.append(record)
        elif mode == "cache":
            if self.path in cache:
                cache.move_to_end(self.path)
            cache[self.path] = record
            if len(cache) > max_entries:
                cache.popitem(last=False)
        out = ("ok %d\n" % zlib.crc32(record)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()

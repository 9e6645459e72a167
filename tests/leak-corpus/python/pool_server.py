"""HTTP/1.1 server whose requests are handled by a multiprocessing pool.

    python3 pool_server.py PORT MODE BYTES WORKERS [MAX_TASKS_PER_WORKER]

The HTTP front (one process) passes each request to a pool of WORKERS forked
processes. Every task builds a record of BYTES bytes and keeps it in a
module-level request log of the worker that ran it (a per-worker leak, as in
a library that caches per process). MODE:
  leak   workers live forever: the leak is spread over the pool
  clean  workers are recycled after MAX_TASKS_PER_WORKER tasks
         (multiprocessing's maxtasksperchild), so the pool stays bounded
"""
import http.server
import multiprocessing
import sys
import time
import zlib

request_log = []  # per worker process


def handle(path, size):
    head = "%f GET %s\n" % (time.time(), path)
    record = (head * (size // len(head) + 1))[:size].encode()
    request_log.append(record)
    return zlib.crc32(record)


def main():
    port, mode, size, workers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    max_tasks = int(sys.argv[5]) if mode == "clean" else None
    pool = multiprocessing.get_context("fork").Pool(workers, maxtasksperchild=max_tasks)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            out = ("ok %d\n" % pool.apply(handle, (self.path, size))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Prints a Markdown table of facts measured from corpus traces.

    summarize.py tests/fixtures/leak-corpus/*.csv.gz

Judged memory is anon + shmem + swap. Per trace: how long it was recorded and
how it ended, the peak judged memory of the cgroup (the pid=0 rows) and of the
largest single process, the number of distinct pids, and the growth of the
cgroup's judged memory as a least-squares slope over the whole life of the
workload after its first minute, and over the second half of that life.
Nothing here is a verdict of the detector.
"""
import gzip
import sys

MiB = 1 << 20


def slope(points):
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    return sum((t - mx) * (v - my) for t, v in points) / sxx if sxx else 0.0


def load(path):
    meta, rows = {}, []
    with gzip.open(path, "rt") as f:
        for line in f:
            if line.startswith("# end="):
                for kv in line[2:].split():
                    k, _, v = kv.partition("=")
                    meta[k] = v
            elif line.startswith("# "):
                k, _, v = line[2:].rstrip("\n").partition("=")
                meta.setdefault(k, v)
            elif line[0].isdigit():
                t, pid, anon, shmem, swap, file_, rss = map(int, line.split(","))
                rows.append((t, pid, anon + shmem + swap, file_, rss))
    return meta, rows


def rate(bps):
    return "%.0f KB/s" % (bps / 1000) if abs(bps) < 1e6 else "%.2f MB/s" % (bps / 1e6)


def main(paths):
    print("| trace | recorded | end | peak judged, cgroup | peak judged, one process | peak file, one process "
          "| pids | growth after 1 min | growth, 2nd half |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        meta, rows = load(path)
        cg = [(t, j) for t, pid, j, _, _ in rows if pid == 0]
        procs = [r for r in rows if r[1] != 0]
        end_at = int(meta.get("at_s", cg[-1][0] if cg else 0))
        life = [(t, j) for t, j in cg if 60 <= t <= end_at]
        half = [(t, j) for t, j in life if t >= (60 + end_at) / 2]
        name = path.rsplit("/", 1)[-1].replace(".csv.gz", "")
        print("| %s | %d s | %s at %d s%s | %.1f MiB | %.1f MiB | %.1f MiB | %d | %s | %s |" % (
            name, cg[-1][0] + 1 if cg else 0, meta.get("end", "?"), end_at,
            (", %s OOM kills" % meta["oom_kills"]) if meta.get("oom_kills", "0") != "0" else "",
            max((j for _, j in cg), default=0) / MiB,
            max((r[2] for r in procs), default=0) / MiB,
            max((r[3] for r in procs), default=0) / MiB,
            len({r[1] for r in procs}),
            rate(slope(life)), rate(slope(half))))


if __name__ == "__main__":
    main(sys.argv[1:])

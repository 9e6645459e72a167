#!/usr/bin/python3
"""Record a memory trace of one workload for the leak-detection corpus.

Starts the workload in its own cgroup(s) with a memory limit, drives it with
a load generator, samples every process of the cgroup and the cgroup itself
once a second, and writes a gzip'ed CSV (format in README.md).

Hybrid hosts (memory controller on cgroup v1, v2 mounted at
/sys/fs/cgroup/unified): the limit goes in a v1 memory cgroup, the pids are
tracked in a v2 cgroup. Pure v2 hosts: one cgroup, memory.max.
CPU is capped with a v1 cpu cgroup or v2 cpu.max where available, so a
workload and its load generator cannot take more than their share.

Standard library only; needs root (cgroup writes).
"""

import argparse
import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

V1_MEM = "/sys/fs/cgroup/memory"
V1_CPU = "/sys/fs/cgroup/cpu"
V2_HYBRID = "/sys/fs/cgroup/unified"
V2_PURE = "/sys/fs/cgroup"
# Every recording's cgroups live under this parent; its CPU quota bounds all of
# them together.
PARENT = "hp-leak-corpus"


def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def is_pure_v2():
    return os.path.exists(os.path.join(V2_PURE, "cgroup.controllers"))


class Cgroups:
    """The cgroups one workload (or its load generator) runs in."""

    def __init__(self, name, limit_bytes, cpu_fraction, parent_cpu_fraction):
        self.dirs = []          # every dir a process must join
        self.mem_dir = None     # where memory.stat lives
        self.mem_v2 = False
        self.procs_dir = None   # whose cgroup.procs lists the workload
        if is_pure_v2():
            parent = os.path.join(V2_PURE, PARENT)
            os.makedirs(parent, exist_ok=True)
            for ctl in ("+memory", "+cpu"):
                try:
                    write(os.path.join(V2_PURE, "cgroup.subtree_control"), ctl)
                    write(os.path.join(parent, "cgroup.subtree_control"), ctl)
                except OSError:
                    pass
            if parent_cpu_fraction and os.path.exists(os.path.join(parent, "cpu.max")):
                write(os.path.join(parent, "cpu.max"), "%d 100000" % int(parent_cpu_fraction * 100000))
            d = os.path.join(parent, name)
            os.makedirs(d, exist_ok=True)
            if limit_bytes:
                write(os.path.join(d, "memory.max"), limit_bytes)
                if os.path.exists(os.path.join(d, "memory.swap.max")):
                    write(os.path.join(d, "memory.swap.max"), 0)
            if cpu_fraction and os.path.exists(os.path.join(d, "cpu.max")):
                write(os.path.join(d, "cpu.max"), "%d 100000" % int(cpu_fraction * 100000))
            self.dirs = [d]
            self.mem_dir, self.mem_v2, self.procs_dir = d, True, d
            return
        # Hybrid or pure v1.
        if os.path.isdir(V1_MEM):
            parent = os.path.join(V1_MEM, PARENT)
            os.makedirs(parent, exist_ok=True)
            d = os.path.join(parent, name)
            os.makedirs(d, exist_ok=True)
            if limit_bytes:
                write(os.path.join(d, "memory.limit_in_bytes"), limit_bytes)
                memsw = os.path.join(d, "memory.memsw.limit_in_bytes")
                if os.path.exists(memsw):
                    write(memsw, limit_bytes)  # no swap beyond the limit
            self.dirs.append(d)
            self.mem_dir = d
            self.procs_dir = d
        if os.path.isdir(V1_CPU):
            parent = os.path.join(V1_CPU, PARENT)
            os.makedirs(parent, exist_ok=True)
            if parent_cpu_fraction:
                write(os.path.join(parent, "cpu.cfs_period_us"), 100000)
                write(os.path.join(parent, "cpu.cfs_quota_us"), int(parent_cpu_fraction * 100000))
            d = os.path.join(parent, name)
            os.makedirs(d, exist_ok=True)
            if cpu_fraction:
                write(os.path.join(d, "cpu.cfs_period_us"), 100000)
                write(os.path.join(d, "cpu.cfs_quota_us"), int(cpu_fraction * 100000))
            self.dirs.append(d)
        if os.path.exists(os.path.join(V2_HYBRID, "cgroup.procs")):
            parent = os.path.join(V2_HYBRID, PARENT)
            os.makedirs(parent, exist_ok=True)
            d = os.path.join(parent, name)
            os.makedirs(d, exist_ok=True)
            self.dirs.append(d)
            self.procs_dir = d  # v2 lists processes, not threads

    def join(self):
        """Moves the calling process into every cgroup (run in the child)."""
        pid = str(os.getpid())
        for d in self.dirs:
            write(os.path.join(d, "cgroup.procs"), pid)

    def pids(self):
        text = read(os.path.join(self.procs_dir, "cgroup.procs")) or ""
        return sorted(int(p) for p in text.split())

    def memory(self):
        """(anon, shmem, swap, file) of the whole cgroup, or None."""
        text = read(os.path.join(self.mem_dir, "memory.stat")) if self.mem_dir else None
        if text is None:
            return None
        stat = {}
        for line in text.splitlines():
            k, _, v = line.partition(" ")
            try:
                stat[k] = int(v)
            except ValueError:
                pass
        if self.mem_v2:
            swap = int((read(os.path.join(self.mem_dir, "memory.swap.current")) or "0").strip() or 0)
            return stat.get("anon", 0), stat.get("shmem", 0), swap, stat.get("file", 0)
        # v1: total_rss is anonymous memory (shmem is accounted in cache).
        return (stat.get("total_rss", 0), stat.get("total_shmem", 0),
                stat.get("total_swap", 0), stat.get("total_cache", 0))

    def oom_kills(self):
        if not self.mem_dir:
            return 0
        name = "memory.events" if self.mem_v2 else "memory.oom_control"
        for line in (read(os.path.join(self.mem_dir, name)) or "").splitlines():
            k, _, v = line.partition(" ")
            if k == "oom_kill":
                return int(v)
        return 0

    def kill_all(self):
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)

    def remove(self):
        for d in self.dirs:
            for _ in range(20):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.2)


def status_kb(pid):
    """(anon, shmem, swap, file, rss) in bytes from /proc/<pid>/status, or None."""
    text = read("/proc/%d/status" % pid)
    if text is None:
        return None
    want = {"RssAnon:": 0, "RssShmem:": 1, "VmSwap:": 2, "RssFile:": 3, "VmRSS:": 4}
    out = [0] * 5
    seen = False
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in want:
            out[want[parts[0]]] = int(parts[1]) * 1024
            seen = True
    return out if seen else None  # kernel threads and zombies have no mm


def wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--variant", required=True, choices=["leak", "clean"])
    ap.add_argument("--shape", required=True)
    ap.add_argument("--limit", type=int, default=0, help="memory limit of the cgroup, bytes (0: none)")
    ap.add_argument("--rate", type=float, default=0, help="requests/s of the load generator (0: none)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--loadgen", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "build", "loadgen"))
    ap.add_argument("--keys", type=int, default=1000000, help="key space of the load generator's paths")
    ap.add_argument("--duration", type=float, default=1200, help="seconds to record (default 20 min)")
    ap.add_argument("--after-exit", type=float, default=60, help="seconds to keep recording after the workload ends")
    ap.add_argument("--cpu", type=float, default=0.15, help="CPU cap of the workload, cores")
    ap.add_argument("--parent-cpu", type=float, default=0.6, help="CPU cap of all recordings together, cores")
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--cwd", default=None)
    ap.add_argument("--out", required=True, help="output .csv.gz")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no workload command")

    name = "%s-%s-%s" % (a.runtime, a.variant, a.shape)
    cg = Cgroups(name, a.limit, a.cpu, a.parent_cpu)
    lg_cg = Cgroups(name + "-loadgen", 0, 0.05, a.parent_cpu) if a.rate else None

    part = a.out + ".part"  # plain CSV while recording, so it can be tailed
    out = open(part, "w", buffering=1)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for k, v in (("runtime", a.runtime), ("variant", a.variant), ("shape", a.shape),
                 ("limit_bytes", a.limit), ("rate_rps", a.rate),
                 ("command", " ".join(cmd)), ("kernel", os.uname().release),
                 ("cgroup", "v2" if is_pure_v2() else "hybrid(v1 memory)"),
                 ("interval_s", a.interval), ("started", started)):
        out.write("# %s=%s\n" % (k, v))
    out.write("t_s,pid,anon_bytes,shmem_bytes,swap_bytes,file_bytes,rss_bytes\n")

    stop = {"sig": None}

    def on_signal(signum, _frame):
        stop["sig"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    oom_before = cg.oom_kills()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=a.cwd, preexec_fn=cg.join,
                            stdout=open(a.out + ".log", "w"), stderr=subprocess.STDOUT)
    loadgen = None
    end, end_at, exited_at = None, None, None
    n = 0
    oom_seen = 0
    while True:
        t = n * a.interval
        now = time.monotonic() - t0
        if now < t:
            time.sleep(t - now)
        if loadgen is None and a.rate and proc.poll() is None and a.port and t >= 1:
            if wait_port(a.port, 0.05):
                loadgen = subprocess.Popen([a.loadgen, str(a.port), str(a.rate), str(a.keys)],
                                           preexec_fn=lg_cg.join, stdout=subprocess.DEVNULL,
                                           stderr=open(a.out + ".loadgen.log", "w"))
        for pid in cg.pids():
            s = status_kb(pid)
            if s:
                out.write("%d,%d,%d,%d,%d,%d,%d\n" % (t, pid, *s))
        m = cg.memory()
        if m:
            # file already includes shmem (v1 total_cache, v2 file): charged = anon + file
            out.write("%d,0,%d,%d,%d,%d,%d\n" % (t, m[0], m[1], m[2], m[3], m[0] + m[3]))
        kills = cg.oom_kills() - oom_before
        if kills > oom_seen:
            # The kernel killed a process of the cgroup (a worker, or the workload).
            out.write("# oom_kill at_s=%d count=%d\n" % (t, kills))
            oom_seen = kills
        n += 1
        if exited_at is None and proc.poll() is not None:
            exited_at = t
            rc = proc.returncode
            if proc.returncode == -signal.SIGKILL and cg.oom_kills() > oom_before:
                end = "oom-killed"
            elif rc < 0:
                end = "killed-by-signal-%d" % -rc
            else:
                end = "exited-status-%d" % rc
            end_at = t
            if loadgen:
                loadgen.terminate()
        if stop["sig"] is not None:
            if end is None:
                end, end_at = "stopped", t
            break
        if exited_at is not None and t - exited_at >= a.after_exit:
            break
        if exited_at is None and t >= a.duration:
            end, end_at = "running", t
            break

    if loadgen and loadgen.poll() is None:
        loadgen.terminate()
    out.write("# end=%s at_s=%d oom_kills=%d\n" % (end, end_at, cg.oom_kills() - oom_before))
    out.close()
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
    cg.kill_all()
    if lg_cg:
        lg_cg.kill_all()
    if loadgen:
        loadgen.wait()
    proc.wait()
    with open(part, "rb") as src, gzip.open(a.out, "wb", compresslevel=9) as dst:
        shutil.copyfileobj(src, dst)
    os.unlink(part)
    cg.remove()
    if lg_cg:
        lg_cg.remove()
    print("%s: end=%s at_s=%d" % (a.out, end, end_at))


if __name__ == "__main__":
    sys.exit(main())

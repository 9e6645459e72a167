#!/usr/bin/env python3
"""Leak detector quality and process-sampling cost, measured on the real sensor.

  tests/bench/leak_quality.py BUILD_DIR quality [--interval 1s] [--window 40s] [--duration 150]
  tests/bench/leak_quality.py BUILD_DIR cost [--processes 2000] [--interval 1s] [--window 40s] [--seconds 60]

quality: starts the sensor, then one memory_workload per shape and rate at the
same moment, scrapes /metrics every second, and prints per workload: when it
was first flagged (detection delay from its start), the growth the sensor
estimated against the true rate, and whether a shape that is not a leak was
ever flagged (a false positive).

"flagged share" is the part of the polls from the first flag on that found the
workload flagged (flicker shows as less than 100%).

cost: starts N steady processes (they sleep, so they cost no CPU), then the
sensor sampling every process at the given interval, and prints the sensor's
CPU (utime + stime over the run) and RSS, the number of processes it tracks,
its tracker bytes (hostprobe_process_memory_tracker_bytes) and per tracked
process, the duration of its latest sample, and the workload's own CPU.

Needs root. Measures and prints; never asserts.
"""
import argparse
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request

MIB = 1 << 20
KIB = 1 << 10


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode("utf-8", "replace")


SAMPLE = re.compile(r'^(\w+)\{([^}]*)\}\s+(\S+)$')


def series(text, name):
    """{pid: value} of a family labelled with pid."""
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        pid = re.search(r'pid="(\d+)"', m.group(2))
        if pid:
            out[int(pid.group(1))] = float(m.group(3))
    return out


def start_sensor(build, port, interval, window, extra=()):
    args = [os.path.join(build, "hostprobe"), "--listen", f"127.0.0.1:{port}", "--log-level", "warn",
            "--sample-interval", interval, "--leak-window", window, *extra]
    proc = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except Exception:
            time.sleep(0.1)
    proc.kill()
    sys.exit("leak_quality: the sensor did not come up")


def start_workload(build, args, timeout=60):
    proc = subprocess.Popen([os.path.join(build, "memory_workload"), *args], stdout=subprocess.PIPE, text=True)
    pids = []
    deadline = time.monotonic() + timeout
    while True:
        # The workload prints one line when ready and nothing before it, so a readable pipe means a
        # whole line is on its way.
        if not select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
            proc.kill()
            sys.exit(f"leak_quality: memory_workload {' '.join(args)} not ready after {timeout:.0f} s")
        line = proc.stdout.readline()
        if not line:
            sys.exit(f"leak_quality: memory_workload {' '.join(args)} exited before it was ready")
        pids += [int(p) for p in re.findall(r'pid=(\d+)', line)]
        if line.startswith("ready"):
            return proc, pids


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def quality(a):
    duration = a.duration
    cases = [  # name, is a leak, true rate (bytes/s), workload args
        ("leak 4 MiB/s", True, 4 * MIB, ["--shape", "leak", "--rate", str(4 * MIB)]),
        ("leak 1 MiB/s", True, 1 * MIB, ["--shape", "leak", "--rate", str(1 * MIB)]),
        ("leak 256 KiB/s", True, 256 * KIB, ["--shape", "leak", "--rate", str(256 * KIB)]),
        ("leak 64 KiB/s", True, 64 * KIB, ["--shape", "leak", "--rate", str(64 * KIB)]),
        # sawtooth-rising keeps a quarter of each cycle's growth: its floor rises at rate / 4.
        ("sawtooth 1.5 s, floor +128 KiB/s", True, 128 * KIB,
         ["--shape", "sawtooth-rising", "--rate", str(512 * KIB), "--period", "1.5"]),
        ("sawtooth 8 s, floor +128 KiB/s", True, 128 * KIB,
         ["--shape", "sawtooth-rising", "--rate", str(512 * KIB), "--period", "8"]),
        ("sawtooth (GC) 1.5 s, flat floor", False, 0,
         ["--shape", "sawtooth", "--rate", str(8 * MIB), "--period", "1.5"]),
        ("sawtooth (GC) 8 s, flat floor", False, 0, ["--shape", "sawtooth", "--rate", str(8 * MIB), "--period", "8"]),
        ("grow then plateau", False, 0, ["--shape", "plateau", "--rate", str(2 * MIB)]),
        ("steady with jitter", False, 0, ["--shape", "steady", "--base", str(64 * MIB), "--jitter", str(4 * MIB)]),
        ("random walk", False, 0, ["--shape", "random-walk", "--rate", str(1 * MIB)]),
    ]
    port = free_port()
    sensor = start_sensor(a.build, port, a.interval, a.window)
    procs = []
    try:
        started = {}
        for name, leak, rate, args in cases:
            proc, pids = start_workload(a.build, [*args, "--duration", str(duration + 30)])
            procs.append(proc)
            started[name] = (time.monotonic(), pids[0])
        first_flag, last_growth, flagged_at_end = {}, {}, {}
        polls_after, flagged_polls = {}, {}
        t_end = time.monotonic() + duration
        while time.monotonic() < t_end:
            text = scrape(port)
            suspects = series(text, "hostprobe_process_memory_leak_suspected")
            growth = series(text, "hostprobe_process_memory_growth_bytes_per_second")
            now = time.monotonic()
            for name, (t0, pid) in started.items():
                if pid in suspects:
                    first_flag.setdefault(name, now - t0)
                    last_growth[name] = growth.get(pid)
                if name in first_flag:
                    polls_after[name] = polls_after.get(name, 0) + 1
                    flagged_polls[name] = flagged_polls.get(name, 0) + (pid in suspects)
                flagged_at_end[name] = pid in suspects
            time.sleep(1.0)
        print(f"sensor: --sample-interval {a.interval} --leak-window {a.window}; each workload ran {duration} s")
        print(f"{'workload':36} {'leak':>5} {'flagged after':>14} {'estimate/true':>14} "
              f"{'flagged share':>14} {'flagged at end':>15}")
        for name, leak, rate, _ in cases:
            delay = f"{first_flag[name]:.0f} s" if name in first_flag else "never"
            est = "-"
            if leak and last_growth.get(name):
                est = f"{last_growth[name] / rate:.2f}"
            verdict = "yes" if flagged_at_end.get(name) else "no"
            share = f"{flagged_polls[name] / polls_after[name]:.0%}" if name in polls_after else "-"
            print(f"{name:36} {'yes' if leak else 'no':>5} {delay:>14} {est:>14} {share:>14} {verdict:>15}")
        fp = sum(1 for name, leak, _, _ in cases if not leak and name in first_flag)
        fn = sum(1 for name, leak, _, _ in cases if leak and name not in first_flag)
        print(f"false positives: {fp} of {sum(1 for c in cases if not c[1])}; "
              f"missed leaks: {fn} of {sum(1 for c in cases if c[1])}")
    finally:
        for p in procs:
            stop(p)
        stop(sensor)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def workload_cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


def gauge(text, name):
    m = re.search(rf'^{name}(?:\{{[^}}]*\}})?\s+(\S+)', text, re.M)
    return float(m.group(1)) if m else None


def cost(a):
    procs = []
    try:
        # Steady without jitter: the children sleep until the end, so the host is idle but for the
        # sensor. Forking and faulting in 1 MiB each takes about 6 ms per child here.
        base = ["--shape", "steady", "--base", str(1 * MIB), "--duration", str(a.seconds + 120)]
        t0 = time.monotonic()
        proc, pids = start_workload(a.build, [*base, "--processes", str(a.processes)],
                                    timeout=60 + 0.05 * a.processes)
        procs.append(proc)
        ready_s = time.monotonic() - t0
        port = free_port()
        sensor = start_sensor(a.build, port, a.interval, a.window)
        procs.append(sensor)
        time.sleep(5)  # first full samples, histories allocated
        c0, r0, w0 = cpu_seconds(sensor.pid), rss_mib(sensor.pid), workload_cpu_seconds(pids)
        time.sleep(a.seconds)
        c1, r1, w1 = cpu_seconds(sensor.pid), rss_mib(sensor.pid), workload_cpu_seconds(pids)
        text = scrape(port)
        nprocs = len([d for d in os.listdir("/proc") if d.isdigit()])
        print(f"processes on the host: {nprocs} ({a.processes} from the workload, ready after {ready_s:.1f} s); "
              f"sampled every {a.interval}, window {a.window}")
        tracked = gauge(text, "hostprobe_process_memory_tracked_processes")
        tracker = gauge(text, "hostprobe_process_memory_tracker_bytes")
        duration = gauge(text, "hostprobe_process_memory_sample_duration_seconds")
        if tracked is not None:
            print(f"processes tracked by the sensor: {tracked:.0f}")
        if tracker is not None:
            per = f" ({tracker / tracked:.0f} bytes per tracked process)" if tracked else ""
            print(f"tracker bytes (hostprobe_process_memory_tracker_bytes): {tracker:.0f}{per}")
        if duration is not None:
            print(f"latest sample took {duration * 1000:.1f} ms")
        print(f"sensor CPU: {(c1 - c0) / a.seconds * 100:.2f}% of one core over {a.seconds} s")
        print(f"sensor RSS: {r0:.1f} MiB after 5 s, {r1:.1f} MiB after {a.seconds + 5} s")
        print(f"workload CPU (all children): {(w1 - w0) / a.seconds * 100:.2f}% of one core")
    finally:
        for p in procs:
            stop(p)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("build")
    p.add_argument("mode", choices=["quality", "cost"])
    p.add_argument("--interval", default="1s")
    p.add_argument("--window", default="40s")
    p.add_argument("--duration", type=int, default=150)
    p.add_argument("--processes", type=int, default=2000)
    p.add_argument("--seconds", type=int, default=60)
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("leak_quality: run as root")
    quality(a) if a.mode == "quality" else cost(a)


if __name__ == "__main__":
    main()

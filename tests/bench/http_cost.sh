#!/bin/sh
# Kernel time per run of hp_sys_exit while one process makes read/write
# round trips on a TCP connection over loopback (opened after the sensor
# started, so tracked as HTTP): HTTP/1.1 requests and responses ("http") or
# data that is not HTTP ("echo"). Compare the ns_per_run of two builds, and
# with tests/bench/prog_cost.sh (getppid) for the cost of a non-socket call.
#
#   tests/bench/http_cost.sh BUILD_DIR [ROUND_TRIPS] [http|echo]
#
# Needs root. Measures, never asserts. Other processes' syscalls on the host
# are in the figure too: run it on a quiet host.
set -eu
build=${1:?usage: http_cost.sh BUILD_DIR [ROUND_TRIPS] [http|echo]}
trips=${2:-100000}
mode=${3:-http}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
"$build/hostprobe" --listen "127.0.0.1:$port" --log-level warn 2>/dev/null &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled
}
trap cleanup EXIT INT TERM
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo 1 >/proc/sys/kernel/bpf_stats_enabled
id=$(for fd in /proc/$pid/fdinfo/*; do awk '/^prog_id:/ {print $2}' "$fd" 2>/dev/null; done | sort -un |
  while read -r i; do bpftool prog show id "$i" | awk -v i="$i" 'NR==1 && $4=="hp_sys_exit" {print i}'; done)
stat() { bpftool prog show id "$id" | awk 'NR==1 { for (i=1;i<=NF;i++) { if ($i=="run_time_ns") rt=$(i+1); if ($i=="run_cnt") rc=$(i+1) } print rt, rc }'; }
before=$(stat)
python3 - "$trips" "$mode" <<'PY'
import os, socket, sys, time
n, mode = int(sys.argv[1]), sys.argv[2]
req = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n" if mode == "http" else b"ping 0123456789abcdef\n"
resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" if mode == "http" else b"pong 0123456789abcdef\n"
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
c = socket.create_connection(ls.getsockname()); s, _ = ls.accept()
cf, sf = c.fileno(), s.fileno()
t = time.perf_counter_ns()
for _ in range(n):
    os.write(cf, req); os.read(sf, 4096); os.write(sf, resp); os.read(cf, 4096)
print("%s: %d round trips (4 syscalls each), %.0f ns per syscall end to end" % (mode, n, (time.perf_counter_ns() - t) / (4 * n)))
PY
after=$(stat)
echo "$before $after" | awk '{ t=$3-$1; r=$4-$2; printf "hp_sys_exit %d runs, %.1f ns per run\n", r, t/r }'

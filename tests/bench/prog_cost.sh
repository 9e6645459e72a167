#!/bin/sh
# Kernel time per run of each of the sensor's eBPF programs, from the
# kernel's own accounting (kernel.bpf_stats_enabled), while a workload makes
# a known number of getppid calls. Complements syscall_overhead: that one
# measures what a caller pays end to end, this one splits it by program.
#
#   tests/bench/prog_cost.sh BUILD_DIR [CALLS] [-- sensor args...]
#
# Needs root. Measures, never asserts.
set -eu
build=${1:?usage: prog_cost.sh BUILD_DIR [CALLS] [-- sensor args...]}
shift
calls=2000000
if [ $# -gt 0 ] && [ "$1" != "--" ]; then calls=$1; shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled)
log=$(mktemp)
"$build/hostprobe" --listen "127.0.0.1:$port" --log-level warn "$@" 2>"$log" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled
  rm -f "$log"
}
trap cleanup EXIT INT TERM
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo 1 >/proc/sys/kernel/bpf_stats_enabled

# The sensor's programs: ids of the bpf-prog fds it holds.
ids=$(for fd in /proc/$pid/fdinfo/*; do awk '/^prog_id:/ {print $2}' "$fd" 2>/dev/null; done | sort -un)
snapshot() {
  for id in $ids; do
    bpftool prog show id "$id" 2>/dev/null |
      awk -v id="$id" 'NR==1 { name=$4; rt=0; rc=0
        for (i=1;i<=NF;i++) { if ($i=="run_time_ns") rt=$(i+1); if ($i=="run_cnt") rc=$(i+1) }
        print id, name, rt, rc }'
  done
}
before=$(snapshot)
"$build/syscall_workload" --getppid "$calls"
after=$(snapshot)
echo "$before" >"$log.before"
echo "$after" >"$log.after"
printf '%-24s %12s %12s %10s\n' program runs run_time_ns ns_per_run
join "$log.before" "$log.after" | awk '{ runs=$7-$4; t=$6-$3
  if (runs > 0) printf "%-24s %12d %12d %10.1f\n", $2, runs, t, t/runs }'
rm -f "$log.before" "$log.after"

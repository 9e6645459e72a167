#!/usr/bin/env bash
# Scrape-cost benchmark (root). Measures, never asserts:
#   1. CPU seconds per scrape, RSS, and threads at idle (3 s after start-up,
#      before any scrape) of hostprobe next to node_exporter (Debian's
#      prometheus-node-exporter) on the same host, same scrape loop;
#   2. hostprobe's scrape latency (p50/p99) once ~10,000 series exist, made by
#      running a short process in each of a few thousand fresh cgroups.
#
#   tests/bench/scrape_cost.sh [BUILD_DIR]   (default: build)
#
# Env: SCRAPES (default 200), CGROUPS (default 3000), LATENCY_SCRAPES (default 300).
set -euo pipefail

build=${1:-build}
sensor="$build/hostprobe"
workload="$build/syscall_workload"
scrapes=${SCRAPES:-200}
ncgroups=${CGROUPS:-3000}
latency_scrapes=${LATENCY_SCRAPES:-300}
hp_port=19740
ne_port=19741

[[ $(id -u) -eq 0 ]] || { echo "scrape_cost.sh: run as root" >&2; exit 1; }
[[ -x $sensor && -x $workload ]] || { echo "scrape_cost.sh: build first ($sensor, $workload)" >&2; exit 1; }
if ! command -v prometheus-node-exporter >/dev/null; then
  echo "scrape_cost.sh: installing prometheus-node-exporter (Debian package) for the comparison" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-node-exporter >/dev/null
fi

pids=()
cg_root=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ -n $cg_root && -d $cg_root ]]; then
    find "$cg_root" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
    rmdir "$cg_root" 2>/dev/null || true
  fi
}
trap cleanup EXIT

wait_http() {
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$1$2" && return 0; sleep 0.1; done
  echo "scrape_cost.sh: nothing answered on port $1" >&2; exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }

"$sensor" --listen 127.0.0.1:$hp_port --log-level warn 2>"${SENSOR_LOG:-/dev/null}" & pids+=($!); hp_pid=$!
prometheus-node-exporter --web.listen-address=127.0.0.1:$ne_port --log.level=warn 2>/dev/null & pids+=($!); ne_pid=$!
wait_http $hp_port /healthz
wait_http $ne_port /metrics
sleep 3
hp_threads=$(threads $hp_pid) ne_threads=$(threads $ne_pid)

hz=$(getconf CLK_TCK)
measure() {  # port pid -> "cpu_ms_per_scrape series rss_mib"
  local port=$1 pid=$2
  for _ in $(seq 5); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
  local t0; t0=$(cpu_ticks "$pid")
  for _ in $(seq "$scrapes"); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
  local t1; t1=$(cpu_ticks "$pid")
  local series; series=$(curl -s "http://127.0.0.1:$port/metrics" | grep -vc '^#')
  awk -v d=$((t1 - t0)) -v n="$scrapes" -v hz="$hz" -v s="$series" -v r="$(rss_kib "$pid")" \
    'BEGIN { printf "%.3f %d %.1f\n", d / hz / n * 1000, s, r / 1024 }'
}

read -r hp_cpu hp_series hp_rss < <(measure $hp_port $hp_pid)
read -r ne_cpu ne_series ne_rss < <(measure $ne_port $ne_pid)
echo "== CPU per scrape and RSS, $scrapes scrapes each (CPU from /proc/<pid>/stat utime+stime, ${hz} Hz ticks)"
printf "%-16s %14s %8s %9s %8s\n" exporter "CPU ms/scrape" series "RSS MiB" threads
printf "%-16s %14s %8s %9s %8s\n" hostprobe "$hp_cpu" "$hp_series" "$hp_rss" "$hp_threads"
printf "%-16s %14s %8s %9s %8s\n" node_exporter "$ne_cpu" "$ne_series" "$ne_rss" "$ne_threads"
awk -v a="$hp_cpu" -v b="$ne_cpu" -v c="$hp_rss" -v d="$ne_rss" \
  'BEGIN { printf "ratio hostprobe/node_exporter: CPU %.2f, RSS %.2f\n", (b > 0 ? a / b : 0), c / d }'

# ---- scrape latency with ~10,000 series ----------------------------------------
cg_mount=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
[[ -n $cg_mount ]] || { echo "scrape_cost.sh: no cgroup2 mount" >&2; exit 1; }
cg_root="$cg_mount/hostprobe-bench-$$"
mkdir "$cg_root"
for i in $(seq "$ncgroups"); do
  mkdir "$cg_root/w$i"
  "$workload" --cgroup "$cg_root/w$i" --getppid 1
done
sleep 1.5   # let the sensor's cgroup walk (rate-limited to 1/s) see them all
curl -s -o /dev/null "http://127.0.0.1:$hp_port/metrics"
series=$(curl -s "http://127.0.0.1:$hp_port/metrics" | grep -vc '^#')
for _ in $(seq "$latency_scrapes"); do
  curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$hp_port/metrics"
done | sort -n | awk -v n="$latency_scrapes" -v s="$series" '
  { v[NR] = $1 }
  END {
    p50 = v[int(n * 0.50 + 0.5)]; p99 = v[int(n * 0.99 + 0.5)];
    printf "== scrape latency, %d series, %d scrapes: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", s, n, p50 * 1000, p99 * 1000, v[n] * 1000
  }'
echo "hostprobe RSS with $series series: $(awk '{printf "%.1f", $1 / 1024}' <<<"$(rss_kib $hp_pid)") MiB"

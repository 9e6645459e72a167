#!/bin/sh
# Requests per second of a real HTTP/1.1 server (Debian's nginx serving a
# small file on loopback, driven by ab) without and with the sensor, side by
# side in one run: ROUNDS rounds of (without, with) for keep-alive and not.
#
#   tests/bench/nginx_http.sh BUILD_DIR [REQUESTS] [ROUNDS]
#
# Needs root, nginx and ab (apache2-utils). Measures, never asserts.
set -eu
build=${1:?usage: nginx_http.sh BUILD_DIR [SECONDS] [ROUNDS]}
seconds=${2:-10}
rounds=${3:-5}
last_cpu=$(($(nproc) - 1))
dir=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
head -c 612 /dev/zero | tr '\0' 'x' >"$dir/index.html"
cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
  server { listen 127.0.0.1:$port; root $dir; }
}
CONF
taskset -c "$last_cpu" nginx -c "$dir/nginx.conf" &
nginx_pid=$!
sensor_pid=
cleanup() {
  [ -n "$sensor_pid" ] && kill "$sensor_pid" 2>/dev/null && wait "$sensor_pid" 2>/dev/null
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
sleep 1
rps() { taskset -c 0 ab -q $1 -t "$seconds" -n 100000000 -c 8 "http://127.0.0.1:$port/index.html" | awk '/Requests per second/ {print $4}'; }
for r in $(seq "$rounds"); do
  for ka in "" "-k"; do
    without=$(rps "$ka")
    sport=$(free_port)
    "$build/hostprobe" --listen "127.0.0.1:$sport" --log-level warn 2>/dev/null &
    sensor_pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$sport/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    sleep 3  # start-up walks of /proc and the cgroup tree done, as syscall_overhead does
    with=$(rps "$ka")
    kill "$sensor_pid"; wait "$sensor_pid" 2>/dev/null || true; sensor_pid=
    ratio=$(echo "$with $without" | awk '{printf "%.3f", $1/$2}')
    echo "round $r ${ka:-close}: without $without req/s, with $with req/s, ratio $ratio"
    echo "${ka:-close} $ratio" >>"$dir/ratios"
  done
done
for mode in close -k; do
  awk -v m="$mode" '$1 == m {print $2}' "$dir/ratios" | sort -n |
    awk -v m="$mode" '{v[NR] = $1} END {printf "median ratio %s: %.3f (%d rounds, %s to %s)\n", m, (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), NR, v[1], v[NR]}'
done

#!/bin/bash
# Records the whole corpus: every trace in the background, in parallel, each
# in its own cgroups (see record.py). Traces and workload logs go to
# $RUNS (default /var/tmp/hp-leak-corpus/runs); copy the .csv.gz files to
# tests/fixtures/leak-corpus/ when they are done.
#
#   ./run-all.sh [NAME...]     # all traces, or only those named (e.g. go-leak-heapcap)
#
# Environment: DURATION (seconds, default 1200), RUNS, DATA (the file the mmap
# workload reads; created, 1 GiB, if missing).
set -eu
cd "$(dirname "$0")"
here=$PWD
RUNS=${RUNS:-/var/tmp/hp-leak-corpus/runs}
DATA=${DATA:-/var/tmp/hp-leak-corpus/data.bin}
DURATION=${DURATION:-1200}
MiB=$((1 << 20))
mkdir -p "$RUNS"
[ -x build/c-server ] && [ -z "${REBUILD:-}" ] || ./build.sh

# name port limit_MiB rate cpu command...
run() {
  local name=$1 port=$2 limit=$3 rate=$4 cpu=$5
  shift 5
  if [ -n "$only" ] && [[ " $only " != *" $name "* ]]; then return; fi
  IFS=- read -r runtime variant shape <<<"$name"
  nohup ./record.py --runtime "$runtime" --variant "$variant" --shape "$shape" \
    --limit $((limit * MiB)) --rate "$rate" --port "$port" --cpu "$cpu" \
    --duration "$DURATION" --cwd "$here" --out "$RUNS/$name.csv.gz" -- "$@" \
    >"$RUNS/$name.recorder.log" 2>&1 &
  echo "$name: recorder pid $!"
}
only="$*"

# Large-heap GC with a heap cap: ~1 MB/s of retained request log lines fill a
# 384 MB old space, then the heap dies of OOM; the clean twin churns the same.
run node-leak-largeheap 18101 768 50 0.15 node --max-old-space-size=384 node/server.js 18101 leak 20000
run node-clean-largeheap 18102 768 50 0.15 node --max-old-space-size=384 node/server.js 18102 clean 20000
# A bounded LRU cache (20,000 x 8 KB) that fills over ~10 minutes, then plateaus.
run node-clean-cache 18103 512 40 0.15 node node/server.js 18103 cache 8192 20000
# Slow leak: 20 requests/s x 2 KB kept in a global list (~40 KB/s).
run python-leak-request 18104 256 20 0.15 /usr/bin/python3 python/server.py 18104 leak 2048
run python-clean-request 18105 256 20 0.15 /usr/bin/python3 python/server.py 18105 clean 2048
# Heap expansion to -Xmx then GC; the leak (~400 KB/s) dies of OutOfMemoryError.
run jvm-leak-largeheap 18106 512 25 0.25 java -Xms32m -Xmx256m -XX:+ExitOnOutOfMemoryError -cp build/jvm Server 18106 leak 16384
run jvm-clean-largeheap 18107 512 25 0.25 java -Xms32m -Xmx256m -XX:+ExitOnOutOfMemoryError -cp build/jvm Server 18107 clean 16384
# Fast leak (~1.6 MB/s) under a soft heap cap (GOMEMLIMIT) and a cgroup limit: OOM-killed.
run go-leak-heapcap 18108 512 50 0.15 env GOMEMLIMIT=400MiB build/go-server 18108 leak 32768
run go-clean-heapcap 18109 512 50 0.15 env GOMEMLIMIT=400MiB build/go-server 18109 clean 32768
# glibc malloc: 25 requests/s x 4 KB kept (~100 KB/s), or malloc'ed and freed.
run c-leak-request 18110 256 25 0.15 build/c-server 18110 leak 4096
run c-clean-request 18111 256 25 0.15 build/c-server 18111 clean 4096
# Pre-fork server, 4 workers recycled every 200-300 requests. Leak: a request
# log in shared memory outlives the workers (~320 KB/s of shmem). Clean: every
# worker leaks 16 KB a request, but is recycled, so the cgroup stays bounded.
run c-leak-prefork 18112 512 40 0.15 build/c-server 18112 shmlog 8192 -w 4 -m 200
run c-clean-prefork 18113 256 40 0.15 build/c-server 18113 leak 16384 -w 4 -m 300
# A clean process that reads a 1 GiB file through a mapping, 64 KB a request
# at 16 requests/s: ~1 MiB/s of file-backed pages for ~17 minutes, no anon growth.
if [ ! -f "$DATA" ]; then head -c $((1 << 30)) /dev/urandom >"$DATA"; fi
run c-clean-mmap 18114 2048 16 0.15 build/c-server 18114 mmap 65536 -f "$DATA"
# A multiprocessing pool of 4 workers that each keep what they handled
# (40 requests/s x 4 KB, ~160 KB/s in all). Leak: the workers live forever.
# Clean: workers are recycled after 100 tasks, so the pool stays bounded.
run python-leak-pool 18115 384 40 0.15 /usr/bin/python3 python/pool_server.py 18115 leak 4096 4
run python-clean-pool 18116 384 40 0.15 /usr/bin/python3 python/pool_server.py 18116 clean 4096 4 100
# A moderate leak (25 requests/s x 8 KB, ~200 KB/s) under Node's default heap cap: lives on.
run node-leak-request 18117 512 25 0.15 node node/server.js 18117 leak 8192
# The same handler on G1 with a 1 GiB heap: the leak (~400 KB/s) does not
# reach -Xmx in 20 minutes; the clean twin shows G1's heap sizing under churn.
run jvm-leak-g1 18118 1536 25 0.25 java -XX:+UseG1GC -Xms64m -Xmx1g -XX:+ExitOnOutOfMemoryError -cp build/jvm Server 18118 leak 16384
run jvm-clean-g1 18119 1536 25 0.25 java -XX:+UseG1GC -Xms64m -Xmx1g -XX:+ExitOnOutOfMemoryError -cp build/jvm Server 18119 clean 16384
# Leaks that live more than 10 minutes, then exhaust their cap: V8's heap
# cap (20 req/s x 16,000 bytes, ~320 KB/s into 256 MB of old space) and a
# cgroup limit (25 req/s x 12 KiB, ~300 KB/s into 256 MiB: OOM-killed).
run node-leak-heapcap 18120 512 20 0.15 node --max-old-space-size=256 node/server.js 18120 leak 16000
run c-leak-cgroupcap 18121 256 25 0.15 build/c-server 18121 leak 12288

#!/usr/bin/env bash
# The image under a real container engine, run as the DaemonSet runs it.
#
# Builds the repository's Dockerfile with Debian's docker.io (20.10, legacy
# builder), runs the image with deploy/kubernetes/base/daemonset.yaml's
# settings (every capability dropped, CAP_BPF and CAP_PERFMON added, host PID
# namespace, read-only root, seccomp unconfined, the manifest's mounts and
# args), and checks, one PASS/FAIL line each: the image's size over its base,
# least privilege attaching what --privileged attaches, CapEff 0 after start,
# container and pod attribution, crash and OOM-kill loops in a real
# Prometheus, /livez while a collector fails, and a clean SIGTERM.
#
# Its own dockerd (data under /var/lib/hostprobe-e2e, socket under
# /run/hostprobe-e2e) is started when not already running and stopped at the
# end; base images debian:12 and debian:12-slim are made with debootstrap
# from the apt mirror (no registry), the tarball cached under
# /var/cache/hostprobe-e2e. Fails, never skips, when the engine cannot start.
#
# Usage (as root, after scripts/install-deps.sh): scripts/container-e2e.sh
# Environment: HOSTPROBE_E2E_MIRROR (default http://deb.debian.org/debian),
# HOSTPROBE_E2E_KEEP_DOCKERD=1 leaves a dockerd it started running.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD

DOCKER=/usr/bin/docker # Debian's 20.10 client, whatever else PATH has
STATE=/var/lib/hostprobe-e2e
CACHE=/var/cache/hostprobe-e2e
RUNDIR=/run/hostprobe-e2e
MIRROR=${HOSTPROBE_E2E_MIRROR:-http://deb.debian.org/debian}
IMAGE=hostprobe:e2e
LABEL=hostprobe-e2e=1
RUNTIME=hostprobe-bpf-caps
export DOCKER_HOST=unix://$RUNDIR/docker.sock
export DOCKER_BUILDKIT=0 # BuildKit would fetch its frontend from a registry

T0=$SECONDS
TMP=$(mktemp -d /tmp/hostprobe-e2e.XXXXXX)
DOCKERD_PID="" PROM_PID="" CREATED_CGROUPS=()
checks=() failed=0

log() { echo "container-e2e: $*"; }
die() {
  echo "container-e2e: FATAL: $*" >&2
  exit 1
}
pass() {
  echo "container-e2e: PASS $1${2:+: $2}"
  checks+=("PASS $1")
}
fail() {
  echo "container-e2e: FAIL $1${2:+: $2}"
  checks+=("FAIL $1")
  failed=1
}
d() { "$DOCKER" "$@"; }

cleanup() {
  local status=$?
  set +e
  [[ -n $PROM_PID ]] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
  if d version >/dev/null 2>&1; then
    local ids
    ids=$(d ps -aq --filter "label=$LABEL")
    [[ -n $ids ]] && d rm -f $ids >/dev/null
    d image prune -f >/dev/null # dangling layers of earlier builds; the build cache stays
  fi
  # Pod cgroups made by --cgroup-parent outlive their containers: remove the
  # directories this run made (pods first), never one that was there before.
  for ((i = ${#CREATED_CGROUPS[@]} - 1; i >= 0; i--)); do
    [[ -d ${CREATED_CGROUPS[$i]} ]] && rmdir "${CREATED_CGROUPS[$i]}" 2>/dev/null
  done
  if [[ -n $DOCKERD_PID && ${HOSTPROBE_E2E_KEEP_DOCKERD:-0} != 1 ]]; then
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) -eq 0 ]] || die "must run as root (starts dockerd, reads /proc/<pid>/status)"
[[ -x $DOCKER ]] || die "$DOCKER missing: install docker.io (scripts/install-deps.sh)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
scrape() { curl -s --max-time 10 "http://127.0.0.1:$1/metrics"; }

# ---- the engine ---------------------------------------------------------------
start_dockerd() {
  if d version >/dev/null 2>&1; then
    log "dockerd already serves $DOCKER_HOST; using it"
    return
  fi
  [[ -x /usr/sbin/dockerd ]] || die "no /usr/sbin/dockerd: install docker.io (scripts/install-deps.sh)"
  mkdir -p "$STATE" "$RUNDIR"
  install -m 0755 tests/engine/runc-add-bpf-caps "$STATE/runc-add-bpf-caps"
  # No bridge, no iptables: the sensor and Prometheus use the host network,
  # workloads none, so the test neither needs nor disturbs the host's
  # firewall or another engine's docker0.
  cat >"$STATE/daemon.json" <<EOF
{
  "data-root": "$STATE/docker",
  "exec-root": "$RUNDIR/exec",
  "pidfile": "$RUNDIR/dockerd.pid",
  "hosts": ["$DOCKER_HOST"],
  "bridge": "none",
  "iptables": false,
  "ip-forward": false,
  "ip-masq": false,
  "runtimes": {"$RUNTIME": {"path": "$STATE/runc-add-bpf-caps"}}
}
EOF
  /usr/sbin/dockerd --config-file "$STATE/daemon.json" >"$STATE/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 150); do
    d version >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.2
  done
  if ! d version >/dev/null 2>&1; then
    tail -20 "$STATE/dockerd.log" >&2
    die "dockerd did not start (log: $STATE/dockerd.log)"
  fi
  log "started dockerd (pid $DOCKERD_PID, data-root $STATE/docker)"
}

# debian:12 (minbase) and debian:12-slim (the same without documentation,
# man pages and translations, excluded from later installs as the official
# slim image does), from the apt mirror.
make_base_images() {
  if d image inspect debian:12 debian:12-slim >/dev/null 2>&1; then
    log "base images present"
    return
  fi
  mkdir -p "$CACHE"
  local full=$CACHE/bookworm-minbase.tar slim=$CACHE/bookworm-minbase-slim.tar
  if [[ ! -s $full || ! -s $slim ]]; then
    command -v debootstrap >/dev/null || die "debootstrap missing: install it (scripts/install-deps.sh)"
    local root=$CACHE/rootfs.tmp t=$SECONDS
    rm -rf "$root"
    log "debootstrap --variant=minbase bookworm from $MIRROR"
    debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$TMP/debootstrap.log" 2>&1 ||
      {
        tail -20 "$TMP/debootstrap.log" >&2
        die "debootstrap failed"
      }
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/* "$root"/tmp/* \
      "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
    tar -C "$root" --numeric-owner -cf "$full.tmp" . && mv "$full.tmp" "$full"
    find "$root"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
    find "$root"/usr/share/doc -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
      "$root"/usr/share/lintian/* "$root"/usr/share/linda/*
    find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    tar -C "$root" --numeric-owner -cf "$slim.tmp" . && mv "$slim.tmp" "$slim"
    rm -rf "$root"
    log "base tarballs made in $((SECONDS - t)) s, cached in $CACHE"
  fi
  d import -c 'CMD ["bash"]' "$full" debian:12 >/dev/null || die "docker import $full failed"
  d import -c 'CMD ["bash"]' "$slim" debian:12-slim >/dev/null || die "docker import $slim failed"
  log "imported debian:12 and debian:12-slim"
}

# ---- the sensor as the DaemonSet runs it ----------------------------------------
# Its args and volume mounts, read from the manifest itself.
read_daemonset() {
  python3 - deploy/kubernetes/base/daemonset.yaml >"$TMP/ds" <<'EOF' || die "cannot read the DaemonSet"
import sys, yaml
ds = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") == "DaemonSet")
pod = ds["spec"]["template"]["spec"]
c = pod["containers"][0]
vols = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
for a in c.get("args", []):
    print("arg\t" + a)
for m in c.get("volumeMounts", []):
    print("mount\t%s:%s%s" % (vols[m["name"]], m["mountPath"], ":ro" if m.get("readOnly") else ""))
sc = c["securityContext"]
print("caps\t" + ",".join(sc["capabilities"]["add"]))
EOF
  DS_ARGS=() DS_MOUNTS=()
  while IFS=$'\t' read -r kind value; do
    case $kind in
      arg) [[ $value == --listen=* ]] || DS_ARGS+=("$value") ;;
      mount) DS_MOUNTS+=(-v "$value") ;;
      caps) DS_CAPS=$value ;;
    esac
  done <"$TMP/ds"
}

# run_sensor NAME PORT privileged|least [docker options...] [-- sensor args...]
# The DaemonSet's container: host PID namespace, read-only root, its mounts
# (HostToContainer propagation left out: it needs / to be a shared mount),
# limits and args. Least privilege: no capability but CAP_BPF and CAP_PERFMON
# (added by the runtime wrapper: docker 20.10 cannot name them) and the
# manifest's others where the host can grant them, no
# privilege escalation, seccomp unconfined. The sensor listens on the host
# network, on a free loopback port, where Prometheus scrapes it.
run_sensor() {
  local name=$1 port=$2 mode=$3
  shift 3
  local opts=() args=()
  while [[ $# -gt 0 && $1 != -- ]]; do opts+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  args=("$@")
  if [[ $mode == privileged ]]; then
    # Through the wrapper too: it leaves out what the host cannot grant.
    opts+=(--privileged --runtime "$RUNTIME")
  else
    opts+=(--runtime "$RUNTIME" --cap-drop ALL --security-opt no-new-privileges
      --security-opt seccomp=unconfined)
    # The manifest's other capabilities (SYS_RESOURCE) by name; the wrapper
    # drops any the host's bounding set lacks.
    local c
    for c in ${DS_CAPS//,/ }; do [[ $c == BPF || $c == PERFMON ]] || opts+=(--cap-add "$c"); done
  fi
  d run -d --name "$name" --label "$LABEL" --pid host --network host --read-only \
    --memory 256m --cpus 0.5 -e NODE_NAME=e2e-node "${DS_MOUNTS[@]}" "${opts[@]}" \
    "$IMAGE" --listen="127.0.0.1:$port" "${DS_ARGS[@]}" "${args[@]}" >/dev/null
}

wait_serving() { # PORT NAME: /livez answers 200 within 60 s
  for _ in $(seq 300); do
    [[ $(http_code "http://127.0.0.1:$1/livez") == 200 ]] && return 0
    [[ $(d inspect -f '{{.State.Running}}' "$2" 2>/dev/null) == true ]] || break
    sleep 0.2
  done
  log "sensor $2 did not serve on port $1; its log:"
  d logs "$2" 2>&1 | tail -30
  return 1
}

attached_programs() { scrape "$1" | grep '^hostprobe_bpf_program_attached{' | awk '$2 == 1 {print $1}' | sort; }

prom_query() { # PROMQL -> the first result's value, or "none"
  curl -s --max-time 10 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}

wait_exited_after_restarts() { # NAME: 3 restarts done, the 4th run ended
  for _ in $(seq 600); do
    [[ $(d inspect -f '{{.RestartCount}} {{.State.Running}} {{.State.Restarting}}' "$1") == "3 false false" ]] &&
      return 0
    sleep 0.2
  done
  return 1
}

# Pod cgroups: docker makes /kubepods/besteffort/pod<uid> for --cgroup-parent
# in every hierarchy and leaves it behind; cleanup removes what this run made.
HIERARCHIES=(/sys/fs/cgroup)
for h in /sys/fs/cgroup/*/; do [[ -e $h/cgroup.procs ]] && HIERARCHIES+=("${h%/}"); done
for h in "${HIERARCHIES[@]}"; do
  for p in kubepods kubepods/besteffort; do
    [[ -e $h/cgroup.procs && ! -d $h/$p ]] && CREATED_CGROUPS+=("$h/$p")
  done
done
register_pod() { for h in "${HIERARCHIES[@]}"; do CREATED_CGROUPS+=("$h/kubepods/besteffort/pod$1"); done; }
pod_parent() { echo "/kubepods/besteffort/pod$1"; }

# ---- run ------------------------------------------------------------------------
start_dockerd
# Containers a killed earlier run left behind (a ctest timeout is a SIGKILL).
stale=$(d ps -aq --filter "label=$LABEL")
[[ -n $stale ]] && d rm -f $stale >/dev/null
make_base_images
read_daemonset

log "building $IMAGE from Dockerfile"
t=$SECONDS
: >"$STATE/build.log" # kept after the run: which steps came from the cache
# The builder stage is tagged too: the legacy builder's cache is made of
# images, and the final prune would otherwise delete the untagged builder
# and with it the cached package layer, making every run a cold build.
for target in builder ""; do
  d build --network host --force-rm ${target:+--target "$target"} -t "$IMAGE${target:+-$target}" \
    -f Dockerfile . >>"$STATE/build.log" 2>&1 || {
    tail -40 "$STATE/build.log" >&2
    die "docker build failed"
  }
done
BUILD_S=$((SECONDS - t))
log "image built in $BUILD_S s ($(grep -c 'Using cache' "$STATE/build.log") steps from the cache; log: $STATE/build.log)"

# 1. Size over the base.
img=$(d image inspect -f '{{.Size}}' "$IMAGE")
base=$(d image inspect -f '{{.Size}}' debian:12-slim)
over=$(((img - base) / 1000000))
if ((img - base <= 60000000)); then
  pass image-size "${over} MB over debian:12-slim (image $((img / 1000000)) MB; at most 60 MB over)"
else
  fail image-size "${over} MB over debian:12-slim (image $((img / 1000000)) MB; at most 60 MB over)"
fi

# 2. Least privilege against --privileged: the same programs attached.
PRIV_PORT=$(free_port)
SENSOR_PORT=$(free_port)
run_sensor hostprobe-e2e-privileged "$PRIV_PORT" privileged
run_sensor hostprobe-e2e-sensor "$SENSOR_PORT" least
wait_serving "$PRIV_PORT" hostprobe-e2e-privileged || fail privileged-start
wait_serving "$SENSOR_PORT" hostprobe-e2e-sensor || die "the least-privilege sensor did not start"

# Prometheus from now on, so it sees every loop below from its start.
PROM_PORT=$(free_port)
mkdir -p "$TMP/prom"
cat >"$TMP/prom/prometheus.yml" <<EOF
global: {scrape_interval: 5s, evaluation_interval: 5s}
scrape_configs:
  - job_name: hostprobe
    static_configs: [{targets: ["127.0.0.1:$SENSOR_PORT"]}]
EOF
prometheus --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/prom/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prom/log" 2>&1 &
PROM_PID=$!

# Workloads: a busy container, one in a pod cgroup, a crash loop and an
# OOM-kill loop in pods of their own. Each loop run lives 6 s before it dies,
# so Prometheus (every 5 s) scrapes between exits.
POD_UID=$(cat /proc/sys/kernel/random/uuid)
CRASH_UID=$(cat /proc/sys/kernel/random/uuid)
OOM_UID=$(cat /proc/sys/kernel/random/uuid)
for u in "$POD_UID" "$CRASH_UID" "$OOM_UID"; do register_pod "$u"; done
busy_loop='while :; do dd if=/dev/zero of=/tmp/f bs=64k count=16 conv=fsync 2>/dev/null; cat /etc/os-release >/dev/null; done'
BUSY_ID=$(d run -d --label "$LABEL" --network none debian:12-slim sh -c "$busy_loop")
POD_ID=$(d run -d --label "$LABEL" --network none --cgroup-parent "$(pod_parent "$POD_UID")" \
  debian:12-slim sh -c "$busy_loop")
# The crash: the container's process kills itself with SIGSEGV (exit 139).
# --init puts docker-init (tini) in front, as PID 1 of a PID namespace would
# ignore the signal; Kubernetes' pause container does the same for a pod.
CRASH_ID=$(d run -d --label "$LABEL" --network none --init --restart on-failure:3 \
  --cgroup-parent "$(pod_parent "$CRASH_UID")" debian:12-slim sh -c 'sleep 6; kill -SEGV $$')
# The OOM kill: tail holds a 200 MB line in memory under a 32 MB limit.
OOM_ID=$(d run -d --label "$LABEL" --network none --init --restart on-failure:3 --memory 32m \
  --memory-swap 32m --cgroup-parent "$(pod_parent "$OOM_UID")" debian:12-slim \
  sh -c 'sleep 6; head -c 200m /dev/zero | tail >/dev/null')

# 3. /livez while an optional collector fails: --kubernetes against an API
# server that refuses connections (the env vars a pod gets; port 1 is closed).
LIVEZ_PORT=$(free_port)
run_sensor hostprobe-e2e-kube "$LIVEZ_PORT" least -e KUBERNETES_SERVICE_HOST=127.0.0.1 \
  -e KUBERNETES_SERVICE_PORT=1 -- --kubernetes

root_set=$(attached_programs "$PRIV_PORT")
least_set=$(attached_programs "$SENSOR_PORT")
n_root=$(grep -c . <<<"$root_set")
n_least=$(grep -c . <<<"$least_set")
if [[ -n $root_set && $root_set == "$least_set" ]]; then
  pass least-privilege-attach "$n_least programs attached with CAP_BPF+CAP_PERFMON, the same $n_root as --privileged"
else
  fail least-privilege-attach "$n_least attached with CAP_BPF+CAP_PERFMON, $n_root with --privileged: $(diff <(echo "$root_set") <(echo "$least_set") | grep '^[<>]' | tr '\n' ' ')"
fi
d rm -f hostprobe-e2e-privileged >/dev/null

SENSOR_PID=$(d inspect -f '{{.State.Pid}}' hostprobe-e2e-sensor)
capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$SENSOR_PID/status")
capbnd=$(awk '/^CapBnd:/ {print $2}' "/proc/$SENSOR_PID/status")
if [[ $capeff == 0000000000000000 ]]; then
  pass capeff-after-start "host pid $SENSOR_PID CapEff $capeff (CapBnd $capbnd)"
else
  fail capeff-after-start "host pid $SENSOR_PID CapEff $capeff"
fi

if wait_serving "$LIVEZ_PORT" hostprobe-e2e-kube; then
  sleep 2
  livez=$(http_code "http://127.0.0.1:$LIVEZ_PORT/livez")
  healthz=$(http_code "http://127.0.0.1:$LIVEZ_PORT/healthz")
  why=$(curl -s --max-time 5 "http://127.0.0.1:$LIVEZ_PORT/healthz" | grep -m1 kubernetes)
  first=$(curl -s --max-time 5 "http://127.0.0.1:$LIVEZ_PORT/healthz" | head -n 1)
  # Pod names are optional: the sensor stays live and ready, and says it is degraded.
  if [[ $livez == 200 && $healthz == 200 && $first == degraded && -n $why ]]; then
    pass livez-while-collector-fails "/livez 200, /healthz 200 degraded (${why})"
  else
    fail livez-while-collector-fails "/livez $livez, /healthz $healthz (${why:-no kubernetes line})"
  fi
else
  fail livez-while-collector-fails "the sensor with --kubernetes did not serve"
fi
d rm -f hostprobe-e2e-kube >/dev/null

# 4. Attribution: the busy container by its docker id, the pod by its uid.
series_with() { # LABEL_MATCH: families with a series carrying it, within 30 s
  local fams=""
  for _ in $(seq 30); do
    fams=$(scrape "$SENSOR_PORT" | grep -F "$1" | grep -v '^#' | sed 's/{.*//' | sort -u | tr '\n' ' ')
    [[ $fams == *hostprobe_cgroup_syscalls_total* && $fams == *hostprobe_cgroup_cpu_seconds_total* ]] && break
    sleep 1
  done
  echo "$fams"
}
fams=$(series_with "container_id=\"$BUSY_ID\"")
if [[ $fams == *hostprobe_cgroup_syscalls_total* && $fams == *hostprobe_cgroup_cpu_seconds_total* ]]; then
  pass container-id "container_id=${BUSY_ID:0:12}... on: $fams"
else
  fail container-id "container_id=${BUSY_ID:0:12}... on: ${fams:-no series}"
fi
fams=$(series_with "pod_uid=\"$POD_UID\"")
if [[ $fams == *hostprobe_cgroup_syscalls_total* && $fams == *hostprobe_cgroup_cpu_seconds_total* ]]; then
  pass pod-uid "pod_uid=$POD_UID on: $fams"
else
  fail pod-uid "pod_uid=$POD_UID on: ${fams:-no series}"
fi

# 5. Crash and OOM-kill loops, in Prometheus.
wait_exited_after_restarts "$CRASH_ID" || log "the crash loop did not end within 120 s"
wait_exited_after_restarts "$OOM_ID" || log "the OOM loop did not end within 120 s"
log "crash loop: $(d inspect -f 'restarts {{.RestartCount}}, last exit {{.State.ExitCode}}' "$CRASH_ID");" \
  "OOM loop: $(d inspect -f 'restarts {{.RestartCount}}, last exit {{.State.ExitCode}}, OOMKilled {{.State.OOMKilled}}' "$OOM_ID")"
sleep 12 # two scrapes after the last exit
for spec in "crashes:hostprobe_pod_crashes_total:$CRASH_UID" "oom-kills:hostprobe_pod_oom_kills_total:$OOM_UID"; do
  IFS=: read -r what metric uid <<<"$spec"
  v=$(prom_query "increase(${metric}{pod_uid=\"$uid\"}[5m])")
  if [[ $v != none ]] && python3 -c "import sys; sys.exit(0 if float('$v') >= 3 else 1)"; then
    pass "pod-$what" "increase(${metric}{pod_uid=\"$uid\"}[5m]) = $v >= 3"
  else
    fail "pod-$what" "increase(${metric}{pod_uid=\"$uid\"}[5m]) = $v, want >= 3"
  fi
done
# For comparison: the per-container series Prometheus saw. A container's
# cgroup goes with each exit, and its series with it, so a scrape every 5 s
# rarely catches one after its crash.
per_container() { # PROMQL -> "container_id:12 [signal] = value" lines, or "none"
  curl -s --max-time 10 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(" ".join("%s%s=%s" % (x["metric"].get("container_id", "")[:12], "/" + x["metric"]["signal"] if "signal" in x["metric"] else "", x["value"][1]) for x in r) or "none")'
}
log "for comparison, per container (max over 5 m):" \
  "hostprobe_process_crashes_total in the crash pod: $(per_container "max by (container_id, signal) (max_over_time(hostprobe_process_crashes_total{pod_uid=\"$CRASH_UID\"}[5m]))");" \
  "hostprobe_oom_kills_total in the OOM pod: $(per_container "max by (container_id) (max_over_time(hostprobe_oom_kills_total{pod_uid=\"$OOM_UID\"}[5m]))")"

# 6. SIGTERM: exit status 0 within 2 s.
t=$(date +%s%N)
d stop -t 10 hostprobe-e2e-sensor >/dev/null
ms=$((($(date +%s%N) - t) / 1000000))
code=$(d inspect -f '{{.State.ExitCode}}' hostprobe-e2e-sensor)
if [[ $code == 0 ]] && ((ms <= 2000)); then
  pass sigterm "docker stop took $ms ms, exit status $code"
else
  fail sigterm "docker stop took $ms ms, exit status $code"
  d logs hostprobe-e2e-sensor 2>&1 | tail -5
fi

echo "container-e2e: summary"
for c in "${checks[@]}"; do echo "  $c"; done
echo "  image build ${BUILD_S} s, total $((SECONDS - T0)) s"
exit $failed

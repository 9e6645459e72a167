#!/usr/bin/env bash
# The kernel matrix: the sensor's end-to-end checks (tests/kmatrix/check.sh) on
# the host kernel natively and on Debian 12's own 6.1 kernel booted under qemu,
# each with the default hooks and with every collector forced onto its
# fallback. Prints PASS/FAIL per kernel, run and collector; see docs/kernels.md.
# The guests' kernels allow fexit, so there the LRU eviction counter must
# attach and count (check.sh --require-evictions); the host may refuse it.
#
#   scripts/kernel-matrix.sh [--build-dir DIR] [--kernels host,debian-6.1] [--timeout SECONDS]
#                            [--accel tcg|kvm|auto]
#
# --build-dir DIR    the build tree holding hostprobe and the workloads (default: build),
#                    configured with -DHOSTPROBE_TEST_HOOKS=ON (as scripts/test.sh does):
#                    check.sh uses a fault-injection hook; without them the matrix is
#                    skipped (exit 77)
# --kernels LIST     which kernels to run on (default: host,debian-6.1,debian-6.12,
#                    debian-6.1-128cpu): host runs natively; debian-6.1 and debian-6.12
#                    (bookworm's backports kernel) boot the newest Debian cloud kernel of
#                    that series; debian-6.1-128cpu boots the 6.1 kernel with
#                    possible_cpus=128 (two CPUs present, 128 possible: every per-CPU map
#                    value exists 128 times) and runs only the big-node check: the sensor
#                    in a cgroup with memory.max 256 MiB, healthy, its maps within 64 MiB
#                    (check.sh --memory-only). 6.12 ignores possible_cpus= (booted so, it
#                    has 2 possible CPUs), so it has no such variant
# --timeout SECONDS  hard deadline for each qemu boot (default 300)
# --accel MODE       how qemu runs the guests (default tcg, or $KMATRIX_ACCEL):
#                    tcg   software emulation, single-threaded: slower than KVM
#                          but the same on every machine (the default)
#                    kvm   hardware virtualisation through /dev/kvm
#                    auto  KVM when a short probe boot under it reaches its init
#                          (a /dev/kvm of a nested VM may exist and fail to run
#                          guests: "emulation failure"), TCG otherwise
#                    Whatever the mode, a guest that dies for the host's reasons
#                    (KVM's emulation failure or internal error, or no sign of
#                    its init before the boot deadline, so before any check
#                    started) is booted once more under TCG before it counts as
#                    a failure. Every KMATRIX line says which accelerator ran
#                    (accel=native for the host, tcg or kvm for guests).
#
# The kernel package (linux-image-6.1.0-*-cloud-amd64-unsigned or
# linux-image-6.12.*+deb12-cloud-amd64-unsigned, the newest the apt sources
# offer) is fetched with apt-get download once and kept in
# $KMATRIX_CACHE (default /var/cache/hostprobe-kmatrix, or <build>/kmatrix/cache
# when that is not writable). Needs root (the checks load eBPF on the host),
# qemu-system-x86, busybox-static and cpio (scripts/install-deps.sh).
#
# A guest that locks up for 60 s (2 x watchdog_thresh, loose enough for a slow
# emulated CPU on a busy host) panics and powers off, with every CPU's stack
# on its console, instead of waiting for the deadline.
# KMATRIX_APPEND replaces "loglevel=5" (warnings and worse on the console) on
# the guests' kernel command line, e.g. "loglevel=7" for every boot message.
#
# Exit status: 0 every check passed, 1 something failed, 2 bad usage,
# 77 qemu-system-x86_64 is not installed (the ctest SKIP code).
set -euo pipefail

src_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=build
kernels=host,debian-6.1,debian-6.12,debian-6.1-128cpu
vm_timeout=300
accel_mode=${KMATRIX_ACCEL:-tcg}
# A guest shows "KMATRIX-BEGIN" (its init is about to start the checks) within
# this many seconds or is taken to have died for the host's reasons.
begin_deadline=${KMATRIX_BEGIN_DEADLINE:-120}

usage() { echo "usage: $0 [--build-dir DIR] [--kernels host,debian-6.1,debian-6.12] [--timeout SECONDS] [--accel tcg|kvm|auto]"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir=${2:?--build-dir needs a value}; shift 2 ;;
    --kernels) kernels=${2:?--kernels needs a value}; shift 2 ;;
    --timeout) vm_timeout=${2:?--timeout needs a value}; shift 2 ;;
    --accel) accel_mode=${2:?--accel needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "kernel-matrix.sh: unknown flag $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$accel_mode" in
  tcg | kvm | auto) ;;
  *) echo "kernel-matrix.sh: unknown accelerator $accel_mode (tcg, kvm, auto)" >&2; usage >&2; exit 2 ;;
esac
[[ $vm_timeout =~ ^[0-9]+$ && $vm_timeout -gt 0 ]] ||
  { echo "kernel-matrix.sh: --timeout wants a positive number of seconds, not $vm_timeout" >&2; usage >&2; exit 2; }
build_dir=$(cd "$build_dir" && pwd)
for k in ${kernels//,/ }; do
  case "$k" in
    host | debian-6.1 | debian-6.12 | debian-6.1-128cpu) ;;
    *) echo "kernel-matrix.sh: unknown kernel $k (host, debian-6.1, debian-6.12, debian-6.1-128cpu)" >&2
      exit 2 ;;
  esac
done

die() { echo "kernel-matrix.sh: $*" >&2; exit 1; }
log() { echo "kernel-matrix.sh: $*" >&2; }

if [[ ,$kernels, == *,debian-* ]] && ! command -v qemu-system-x86_64 >/dev/null; then
  echo "kernel-matrix.sh: SKIP: qemu-system-x86_64 not installed (scripts/install-deps.sh installs qemu-system-x86)"
  exit 77
fi
[[ $(id -u) -eq 0 ]] || die "must run as root (the checks load eBPF programs)"
command -v busybox >/dev/null || die "busybox not installed; run scripts/install-deps.sh (busybox-static)"
command -v cpio >/dev/null || die "cpio not installed; run scripts/install-deps.sh"
binaries=(hostprobe syscall_workload events_workload http_workload)
for b in "${binaries[@]}"; do
  [[ -x $build_dir/$b ]] || die "$build_dir/$b missing; build it: cmake --build $build_dir --target $b"
done
# check.sh shrinks a map through HOSTPROBE_TEST_MAX_ENTRIES for its eviction
# check: a sensor built without the test hooks would fail it for want of the hook.
if ! grep -qa HOSTPROBE_TEST_MAX_ENTRIES "$build_dir/hostprobe"; then
  echo "kernel-matrix.sh: SKIP: $build_dir/hostprobe was built without the test hooks the checks use;" \
    "build it with them: cmake -S $src_dir -B $build_dir -DHOSTPROBE_TEST_HOOKS=ON && cmake --build $build_dir"
  exit 77
fi
# The process-memory check's workload, when the build has it (see tests/kmatrix/check.sh).
[[ -x $build_dir/memory_workload ]] && binaries+=(memory_workload)

out_dir=$build_dir/kmatrix
mkdir -p "$out_dir"
if [[ -z ${KMATRIX_CACHE:-} ]]; then
  KMATRIX_CACHE=/var/cache/hostprobe-kmatrix
  mkdir -p "$KMATRIX_CACHE" 2>/dev/null && [[ -w $KMATRIX_CACHE ]] || KMATRIX_CACHE=$out_dir/cache
fi
mkdir -p "$KMATRIX_CACHE"
work=$(mktemp -d "$out_dir/run.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- the runs: name, expected hook family, sensor flags --------------------------------
# "default" is what users get (--bpf-hook auto, which must pick tp_btf on these
# kernels); "fallback" forces every collector onto its fallback so it is proven too.
fallback_flags="--bpf-hook raw_tp"
if "$build_dir/hostprobe" --help 2>&1 | grep -q -- '--process-memory-source'; then
  fallback_flags+=" --process-memory-source procfs"
fi
# A short leak window (the shortest the detector takes: 36 samples) so the
# process-memory check sees a leak flagged in about 18 s.
leak_flags="--sample-interval 500ms --leak-window 18s"
cat >"$work/runs" <<EOF
default tp_btf --bpf-hook auto $leak_flags
fallback raw_tp $fallback_flags $leak_flags
EOF
# The big-node guest (possible_cpus=128): one run with the defaults, only the
# memory check, the sensor limited as the DaemonSet limits it.
bignode_cpus=128
bignode_memory_max=$((256 * 1024 * 1024))
bignode_max_maps=$((64 * 1024 * 1024))
echo "bignode tp_btf --bpf-hook auto" >"$work/runs-bignode"

results=$out_dir/results.txt
: >"$results"

# The checker's own exit status as one more row, so a checker that died
# before printing its checks still fails the matrix.
checker_line() {  # kernel run rc
  local r=PASS
  [[ $3 -eq 0 ]] || r=FAIL
  echo "KMATRIX kernel=$1 run=$2 collector=checker check=exit hook=n/a result=$r exit status $3"
}

# Marks each KMATRIX line with the accelerator that ran it.
with_accel() { sed "s/^KMATRIX kernel=/KMATRIX accel=$1 kernel=/"; }

# ---- host: natively ----------------------------------------------------------------------
run_host() {
  local name hook flags
  while read -r name hook flags; do
    log "host $(uname -r): run $name ($flags)"
    local rc=0
    # shellcheck disable=SC2086
    busybox sh "$src_dir/tests/kmatrix/check.sh" --bin-dir "$build_dir" --run "$name" --disk-dir /var/tmp \
      --expect-hook "$hook" -- $flags >"$work/out" || rc=$?
    with_accel native <"$work/out" | tee -a "$results"
    checker_line "$(uname -r)" "$name" "$rc" | with_accel native | tee -a "$results"
  done <"$work/runs"
}

# ---- Debian 6.1 under qemu -------------------------------------------------------------------

# Newest cloud kernel package of a series the apt sources offer, or the newest
# already cached when apt knows none (offline).
fetch_kernel() {  # series: 6.1 or 6.12
  local pattern pkg deb
  case "$1" in
    6.1) pattern='linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned' ;;
    6.12) pattern='linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned' ;;
  esac
  pkg=$(apt-cache search --names-only "^$pattern\$" 2>/dev/null | awk '{ print $1 }' | sort -V | tail -1)
  if [[ -z $pkg ]] && ! ls "$KMATRIX_CACHE"/*.deb 2>/dev/null | grep -qE "/${pattern}_"; then
    # Container images often ship without package lists.
    log "no $pattern known to apt; running apt-get update"
    apt-get update -qq >&2 || true
    pkg=$(apt-cache search --names-only "^$pattern\$" 2>/dev/null | awk '{ print $1 }' | sort -V | tail -1)
  fi
  if [[ -n $pkg ]]; then
    deb=$(ls "$KMATRIX_CACHE/${pkg}"_*.deb 2>/dev/null | sort -V | tail -1 || true)
    if [[ -z $deb ]]; then
      log "downloading $pkg into $KMATRIX_CACHE"
      (cd "$KMATRIX_CACHE" && apt-get download -q "$pkg" 2>&1 | { grep -v 'unsandboxed' || true; } >&2) ||
        die "apt-get download $pkg failed"
      deb=$(ls "$KMATRIX_CACHE/${pkg}"_*.deb | sort -V | tail -1)
      # A newer kernel of the series replaces the older one in the cache.
      local old
      for old in "$KMATRIX_CACHE"/*; do
        [[ $old == "$KMATRIX_CACHE/${pkg}"_* ]] && continue
        [[ $(basename "$old") =~ ^${pattern}_ ]] && rm -rf "$old"
      done
    fi
  else
    deb=$(ls "$KMATRIX_CACHE"/*.deb 2>/dev/null | grep -E "/${pattern}_" | sort -V | tail -1 || true)
    [[ -n $deb ]] || die "no $pattern in the apt sources (run apt-get update) nor in $KMATRIX_CACHE"
  fi
  local tree=${deb%.deb}
  if [[ ! -d $tree ]]; then
    dpkg-deb -x "$deb" "$tree.tmp" && mv "$tree.tmp" "$tree"
  fi
  echo "$tree"
}

# Copies a binary and the shared libraries it loads to the same paths under $root.
copy_with_libs() {
  local root=$1 bin=$2 dest=$3 lib
  mkdir -p "$root$(dirname "$dest")"
  cp "$bin" "$root$dest"
  for lib in $(ldd "$bin" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }'); do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# Module files (dependencies first) to load for the virtio disk, where the
# kernel builds them as modules (6.1's cloud kernel does, 6.12's builds virtio
# and virtio_pci in and compresses modules with xz). The package ships no
# modules.dep (depmod writes it at install), so dependencies come from each
# module's own .modinfo "depends=" string.
module_text() { if [[ $1 == *.xz ]]; then busybox unxz -c "$1"; else cat "$1"; fi; }
module_closure() {
  local moddir=$1 m f d
  shift
  for m in "$@"; do
    f=$(find "$moddir" \( -name "$m.ko" -o -name "$m.ko.xz" \) | head -1)
    if [[ -z $f ]]; then
      grep -q "/$m\.ko\$" "$moddir/modules.builtin" 2>/dev/null && continue
      die "module $m is neither in $moddir nor built in"
    fi
    for d in $(module_text "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
      module_closure "$moddir" "$d"
    done
    echo "$f"
  done
}

build_initramfs() {  # tree runs-file checker-args
  local tree=$1 root=$work/root kver moddir
  kver=$(basename "$(ls -d "$tree"/lib/modules/*)")
  moddir=$tree/lib/modules/$kver
  mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt/disk,kmatrix/bin,kmatrix/modules,var/tmp}
  cp /bin/busybox "$root/bin/busybox"
  for b in "${binaries[@]}"; do
    copy_with_libs "$root" "$build_dir/$b" "/kmatrix/bin/$b"
  done
  cp "$src_dir/tests/kmatrix/check.sh" "$root/kmatrix/"
  cp "$2" "$root/kmatrix/runs"
  echo "$3" >"$root/kmatrix/checker-args"
  # Deduplicated, dependencies first.
  module_closure "$moddir" virtio_pci virtio_blk | awk '!seen[$0]++' | while read -r m; do
    local ko
    ko=$(basename "${m%.xz}")
    module_text "$m" >"$root/kmatrix/modules/$ko"
    echo "$ko" >>"$root/kmatrix/modules/order"
  done
  cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
exec 0</dev/console 1>/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t cgroup2 none /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
ifconfig lo 127.0.0.1 up
for m in $(cat /kmatrix/modules/order 2>/dev/null); do insmod /kmatrix/modules/$m || echo "KMATRIX-INIT insmod $m failed"; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
mke2fs -F /dev/vda >/dev/null && mount -t ext2 /dev/vda /mnt/disk || echo "KMATRIX-INIT no disk at /dev/vda"
echo "KMATRIX-BEGIN $(uname -r)"
while read -r name hook flags; do
  start=$(cut -d. -f1 /proc/uptime)
  sh /kmatrix/check.sh --bin-dir /kmatrix/bin --run $name --disk-dir /mnt/disk --expect-hook $hook \
    $(cat /kmatrix/checker-args) -- $flags
  rc=$?
  r=PASS; [ $rc -eq 0 ] || r=FAIL
  echo "KMATRIX kernel=$(uname -r) run=$name collector=checker check=exit hook=n/a result=$r exit status $rc"
  echo "KMATRIX-TIME run=$name seconds=$(($(cut -d. -f1 /proc/uptime) - start))"
done </kmatrix/runs
echo "KMATRIX-END"
sync
poweroff -f
EOF
  chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"
}

# Boots one guest: qemu with the given accelerator, its console to a file,
# watched every second. Stops it at the deadline, at once on KVM's
# "emulation failure" or internal error, and when no KMATRIX-BEGIN showed
# within $begin_deadline seconds. Sets boot_rc and host_reason (empty
# unless the guest died for the host's reasons, before any check ran).
kvm_failure='emulation failure|KVM internal error|KVM: entry failed'
boot_guest() {  # accel kernel initrd console [memory-MiB extra-cmdline]
  local accel=$1 vmlinuz=$2 initrd=$3 console=$4 mem=${5:-1024} extra=${6:-} qemu_accel t0=$SECONDS pid
  case "$accel" in
    # Single-threaded TCG: the guest still has two CPUs, but they take turns
    # on one host thread. With one thread per vCPU, the kernel's int3-based
    # code patching (a tracepoint's static key flips when the sensor
    # attaches) raced with the other vCPU: "Oops: int3" in
    # syscall_trace_enter (6.12) and a lockup of both vCPUs (6.1), once each
    # in about twenty boots.
    tcg) qemu_accel=(-accel tcg,thread=single) ;;
    kvm) qemu_accel=(-accel kvm) ;;
  esac
  host_reason=
  qemu-system-x86_64 -nographic -no-reboot "${qemu_accel[@]}" -m "$mem" -smp 2 \
    -kernel "$vmlinuz" -initrd "$initrd" -nic none \
    -drive "file=$work/disk.img,if=virtio,format=raw" \
    -append "console=ttyS0 panic=-1 softlockup_panic=1 softlockup_all_cpu_backtrace=1 watchdog_thresh=30 ${KMATRIX_APPEND:-loglevel=5}${extra:+ $extra}" \
    </dev/null >"$console" 2>&1 &
  pid=$!
  local began=0 waited
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((SECONDS - t0))
    if ((began == 0)) && tr -d '\r' <"$console" | grep -q '^KMATRIX-BEGIN'; then began=1; fi
    if grep -qE "$kvm_failure" "$console"; then
      host_reason=kvm  # the whole line is read once qemu has gone
    elif ((began == 0 && waited >= begin_deadline)); then
      host_reason="no KMATRIX-BEGIN within ${begin_deadline}s of boot (the checks never started)"
    elif ((waited >= vm_timeout)); then
      break
    else
      continue
    fi
    break
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    sleep 2
    kill -9 "$pid" 2>/dev/null || true
  fi
  boot_rc=0
  wait "$pid" || boot_rc=$?
  if [[ $host_reason == kvm ]]; then
    host_reason="qemu: $(tr -d '\r' <"$console" | grep -m1 -oE "($kvm_failure).*" | cut -c1-160)"
  fi
  if [[ -z $host_reason ]] && ! tr -d '\r' <"$console" | grep -q '^KMATRIX-BEGIN'; then
    host_reason="qemu exited ($boot_rc) before KMATRIX-BEGIN (the checks never started)"
  fi
  log "qemu ($accel) exited ($boot_rc) after $((SECONDS - t0)) s${host_reason:+: $host_reason}"
}

# Whether KVM runs guests here: a boot of the given kernel with an init that
# only says so and powers off. A nested VM's /dev/kvm may open and still
# fail every guest.
kvm_works() {  # vmlinuz
  [[ -w /dev/kvm ]] || { log "accel auto: no writable /dev/kvm, using tcg"; return 1; }
  local root=$work/probe
  rm -rf "$root"
  mkdir -p "$root"/{bin,dev}
  cp /bin/busybox "$root/bin/busybox"
  printf '#!/bin/busybox sh\n/bin/busybox mount -t devtmpfs dev /dev\n/bin/busybox echo KMATRIX-PROBE-OK >/dev/console\n/bin/busybox poweroff -f\n' >"$root/init"
  chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet) >"$work/probe.cpio"
  local out=$work/probe-console.log
  timeout 60 qemu-system-x86_64 -nographic -no-reboot -accel kvm -m 256 -smp 1 \
    -kernel "$1" -initrd "$work/probe.cpio" -nic none -append "console=ttyS0 panic=-1 loglevel=3" \
    </dev/null >"$out" 2>&1 || true
  if tr -d '\r' <"$out" | grep -q '^KMATRIX-PROBE-OK'; then
    log "accel auto: a probe guest booted under KVM, using kvm"
    return 0
  fi
  local why
  why=$(tr -d '\r' <"$out" | grep -m1 -iE 'emulation failure|internal error|error' | cut -c1-160 || true)
  log "accel auto: a probe guest did not boot under KVM (${why:-its init did not run within 60 s}), using tcg"
  return 1
}

chosen_accel=
run_vm() {  # series[-128cpu]
  local name=debian-$1 series=${1%%-*} tree vmlinuz accel console
  local runs=$work/runs args="--require-evictions --global-oom" mem=1024 extra=
  if [[ $1 == *-128cpu ]]; then
    # 128 possible CPUs, 2 present. More guest memory for the kernel's own
    # per-CPU areas; the sensor's cgroup limit is below it either way.
    runs=$work/runs-bignode mem=1536 extra="possible_cpus=$bignode_cpus"
    args="--memory-only --sensor-memory-max $bignode_memory_max --max-map-memory $bignode_max_maps"
    args+=" --expect-possible-cpus $bignode_cpus"
  fi
  console=$out_dir/console-$name.log
  tree=$(fetch_kernel "$series")
  vmlinuz=$(ls "$tree"/boot/vmlinuz-*)
  log "$name: $(basename "$vmlinuz"), building the initramfs"
  rm -rf "$work/root" "$work/disk.img"
  build_initramfs "$tree" "$runs" "$args"
  case "$accel_mode" in
    auto)
      if [[ -z $chosen_accel ]]; then
        chosen_accel=tcg
        kvm_works "$vmlinuz" && chosen_accel=kvm
      fi
      accel=$chosen_accel
      ;;
    *) accel=$accel_mode ;;
  esac
  local attempt
  for attempt in 1 2; do
    truncate -s 0 "$work/disk.img" && truncate -s 256M "$work/disk.img"
    log "$name: booting under qemu ($accel, deadline ${vm_timeout}s); console in $console"
    boot_guest "$accel" "$vmlinuz" "$work/initramfs.cpio" "$console" "$mem" "$extra"
    [[ -n $host_reason && $attempt -eq 1 ]] || break
    cp "$console" "$out_dir/console-$name-$accel-failed.log"
    log "$name: the guest died for the host's reasons under $accel ($host_reason); booting it once more under tcg" \
      "(that console kept in $out_dir/console-$name-$accel-failed.log)"
    echo "KMATRIX-INFO kernel=$name accel=$accel retried under tcg: $host_reason" | tee -a "$results" >&2
    accel=tcg
  done
  tr -d '\r' <"$console" | grep -E '^KMATRIX(-TIME|-INFO| )' | with_accel "$accel" | tee -a "$results" >&2 || true
  if ! tr -d '\r' <"$console" | grep -q '^KMATRIX-END'; then
    echo "KMATRIX accel=$accel kernel=$name run=vm collector=vm check=finished hook=n/a result=FAIL" \
      "qemu exit $boot_rc before the checks ended (timeout ${vm_timeout}s or panic${host_reason:+; $host_reason}); last console lines:" |
      tee -a "$results"
    tail -n 40 "$console" >&2
  fi
}

for k in ${kernels//,/ }; do
  case "$k" in
    host) run_host ;;
    debian-*) run_vm "${k#debian-}" ;;
  esac
done

# ---- summary: one line per kernel, run and collector ------------------------------------------
echo
echo "kernel matrix (details: $results)"
grep -q '^KMATRIX ' "$results" || die "no check reported anything"
log "matrix took $SECONDS s"
grep '^KMATRIX ' "$results" | awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^(accel|kernel|run|collector|hook|result)$/) f[kv[1]] = kv[2] }
    key = f["kernel"] " " f["run"] " " f["collector"]
    accel[key] = f["accel"]
    if (!(key in res)) { order[n++] = key; res[key] = "SKIP" }
    if (f["hook"] != "n/a" && f["hook"] != "unknown") hook[key] = f["hook"]
    if (f["result"] == "FAIL") res[key] = "FAIL"
    else if (f["result"] == "PASS" && res[key] != "FAIL") res[key] = "PASS" }
  END { printf "%-28s %-7s %-9s %-15s %-7s %s\n", "KERNEL", "ACCEL", "RUN", "COLLECTOR", "HOOK", "RESULT"
        for (i = 0; i < n; i++) { split(order[i], p, " ")
          printf "%-28s %-7s %-9s %-15s %-7s %s\n", p[1], accel[order[i]], p[2], p[3], (order[i] in hook) ? hook[order[i]] : "-", res[order[i]] }
        bad = 0; for (k in res) if (res[k] == "FAIL") bad = 1; exit bad }'

#!/usr/bin/env bash
# Installs hostprobe's dependencies from Debian 12 packages.
# Idempotent: packages already present are left alone; safe to run on every build.
# Usage (as root): scripts/install-deps.sh [--build|--all]
#   --build  what building the sensor needs (the Dockerfile's builder stage)
#   --all    that plus everything the tests need (the default; README, .ci/run)
set -euo pipefail

set_name=all
case ${1:-} in
  "" | --all) set_name=all ;;
  --build) set_name=build ;;
  -h | --help)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "install-deps.sh: unknown argument '$1' (use --build or --all)" >&2
    exit 2
    ;;
esac

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (apt-get install); try: sudo $0" >&2
  exit 1
fi

build_packages=(
  cmake g++ make pkg-config
  clang llvm
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libspdlog-dev libfmt-dev
  libcurl4-openssl-dev nlohmann-json3-dev   # --kubernetes: API server client
  prometheus-cpp-dev
  libssl-dev libyaml-dev libcrypt-dev   # --web-config: TLS, its YAML, bcrypt
  libcli11-dev       # flag parsing (header-only)
  libcap-dev         # capability names and a thread's sets (libcap)
)
test_packages=(
  libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes for clang (scripts/fuzz.sh)
  libgtest-dev libgmock-dev
  prometheus      # promtool and a real Prometheus, used by the integration and e2e tests
  curl
  apache2-utils   # ab: HTTP load for the HTTP/1.x integration test
  openssl         # certificates for the --web-config tests
  python3 python3-yaml   # tests/deploy/check_manifests.py
  qemu-system-x86 busybox-static cpio   # scripts/kernel-matrix.sh: Debian's 6.1 under qemu
  docker.io debootstrap   # scripts/container-e2e.sh: the image under a real engine
)

packages=("${build_packages[@]}")
[[ $set_name == all ]] && packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} packages ($set_name) already installed"
  exit 0
fi

echo "install-deps.sh: installing ($set_name) ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

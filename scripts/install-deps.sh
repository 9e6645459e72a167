#!/usr/bin/env bash
# Installs every build and test dependency of hostprobe from Debian 12 packages.
# Idempotent: packages already present are left alone; safe to run on every build.
# Usage (as root): scripts/install-deps.sh
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (apt-get install); try: sudo $0" >&2
  exit 1
fi

packages=(
  # build
  cmake g++ make pkg-config
  clang llvm
  libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes for clang (scripts/fuzz.sh)
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libspdlog-dev libfmt-dev
  libcivetweb-dev    # HTTP server (the same one prometheus-cpp-pull uses)
  libcurl4-openssl-dev nlohmann-json3-dev   # --kubernetes: API server client
  prometheus-cpp-dev
  libssl-dev libyaml-dev libcrypt-dev   # --web-config: TLS, its YAML, bcrypt
  # tests
  libgtest-dev libgmock-dev
  prometheus      # promtool, used by the integration tests
  curl
  apache2-utils   # ab: HTTP load for the HTTP/1.x integration test
  openssl         # certificates for the --web-config tests
  python3 python3-yaml   # tests/deploy/check_manifests.py
  qemu-system-x86 busybox-static cpio   # scripts/kernel-matrix.sh: Debian's 6.1 under qemu
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

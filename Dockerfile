# Multi-stage build of the hostprobe sensor.
#
# The builder dumps vmlinux.h from the build host's /sys/kernel/btf/vmlinux
# (visible inside `docker build` on any kernel with BTF). CO-RE relocations
# make the result load on other kernels. Without kernel BTF on the build host,
# pass a header: --build-arg VMLINUX_H=path/inside/context/vmlinux.h
FROM debian:12 AS builder
ARG VMLINUX_H=""
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
# The build set only: the test set (gtest, Prometheus, qemu, docker.io, ...)
# would only slow the build down.
RUN scripts/install-deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .
# No test hooks (HOSTPROBE_TEST_*, userspace/core/test_hooks.h) in what ships:
# the build fails if the binary names one.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHOSTPROBE_BUILD_TESTS=OFF -DHOSTPROBE_TEST_HOOKS=OFF \
          ${VMLINUX_H:+-DHOSTPROBE_VMLINUX_H=/src/${VMLINUX_H}} \
 && cmake --build build -j"$(nproc)" --target hostprobe \
 && ! grep -q HOSTPROBE_TEST build/hostprobe \
 && strip build/hostprobe

# The runtime stage: the binary and the shared libraries it
# links (ldd below proves none is missing), nothing else. ca-certificates is for
# --kubernetes against an API server whose CA is the system's.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libbpf1 libelf1 zlib1g libspdlog1.10 libfmt9 libprometheus-cpp-core1.0 libcurl4 \
      libssl3 libyaml-0-2 libcrypt1 libcap2 ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/lib/dpkg/*-old \
      /var/log/apt /var/log/dpkg.log /var/log/alternatives.log
COPY --from=builder /src/build/hostprobe /usr/bin/hostprobe
# Fails the build if a shared library of the sensor is missing.
RUN ! ldd /usr/bin/hostprobe | grep 'not found' && /usr/bin/hostprobe --version
EXPOSE 9640
ENTRYPOINT ["/usr/bin/hostprobe"]

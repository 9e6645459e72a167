// Command-line options. Parsing is pure: no I/O, no exit; main decides.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "result.h"

namespace hostprobe {

// Which kernel hook family the eBPF collectors use.
enum class HookMode {
  kAuto,   // tp_btf where the kernel has BTF for it, raw_tp otherwise
  kTpBtf,  // require tp_btf; fail if unavailable
  kRawTp,  // force the raw_tp fallbacks (for testing them, or for odd kernels)
};

// Where per-process memory figures come from.
enum class MemorySource {
  kAuto,    // the BPF task iterator where the kernel runs it, /proc/<pid>/status otherwise
  kEbpf,    // require the task iterator; fail to start the collector otherwise
  kProcfs,  // read /proc/<pid>/status every sample, load no program (for testing it, or odd kernels)
};

inline constexpr uint32_t kDefaultSyscallLatencySample = 64;

struct Options {
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 9640;
  std::string log_level = "info";
  std::chrono::nanoseconds sample_interval = std::chrono::seconds(10);
  std::chrono::nanoseconds leak_window = std::chrono::minutes(30);
  std::chrono::nanoseconds removed_cgroup_grace = std::chrono::minutes(2);
  std::string state_dir = "/var/lib/hostprobe";  // empty: leak histories are not kept
  uint32_t top_processes = 20;
  HookMode hook_mode = HookMode::kAuto;
  MemorySource memory_source = MemorySource::kAuto;
  std::string cgroup_root;  // empty: find the cgroup2 mount in /proc/self/mountinfo
  // Where the host's /proc and / are: "/host/proc" and "/host" when the
  // sensor runs in a container with the host's root mounted at /host.
  std::string procfs = "/proc";
  std::string rootfs = "/";
  bool cpu_per_core = false;        // also export CPU time per CPU
  std::vector<std::string> probes;  // --probe values, in order (see core/probe_spec.h)
  std::string probe_config;         // --probe-config FILE, empty if not given
  // --kubernetes: name pods and containers from the API server (in-cluster).
  bool kubernetes = false;
  std::string kubernetes_api;  // empty: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
  std::string node_name;       // empty: $NODE_NAME
  std::string kubernetes_token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string kubernetes_ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string web_config;  // --web-config FILE (see core/web_config.h), empty: plain HTTP, no auth
  // --keep-capabilities: keep every capability after start-up instead of
  // dropping those no longer needed; --keep-capabilities=LIST: keep these
  // (a mask of capability bits) on top of what the sensor decides it needs.
  // See docs/security.md.
  bool keep_capabilities = false;
  uint64_t keep_capability_mask = 0;
  // Series per metric family beyond which the rest fold into one "overflow"
  // series (0: no cap).
  uint32_t max_series_per_family = 5000;
  // tp_btf syscall programs: time the calls that start in sampling windows
  // open 1/this of the time, each counting as this many (1: every call).
  uint32_t syscall_latency_sample = kDefaultSyscallLatencySample;
  bool show_help = false;
  bool show_version = false;

  // "HOST:PORT" as given to the HTTP server ("[::1]:9640" for IPv6).
  std::string ListenAddress() const;
};

// Parses argv (argv[0] is skipped). The error names the offending flag.
Result<Options> ParseOptions(const std::vector<std::string>& args);

// Multi-line usage text for --help and for errors.
std::string Usage(const std::string& program);

const char* HookModeName(HookMode mode);
const char* MemorySourceName(MemorySource source);

}  // namespace hostprobe

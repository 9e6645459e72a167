// Command-line options. Parsing is pure: no I/O, no exit; main decides.
//
// Every flag is defined once, in the table in options.cpp: its name, its
// value, its default and its help. Parsing (CLI11), --help and FlagDocs()
// come from that table; a unit test holds the README's flag table to it.
// This is the one place that rejects a bad flag value.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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

  bool operator==(const Options&) const = default;
};

// Parses argv (argv[0] is skipped). Every value is checked here, the leak
// window against the sample interval included (the leak detector's own rule,
// LeakParams::Validate). The error is one line naming the offending flag.
Result<Options> ParseOptions(const std::vector<std::string>& args);

// Fills what --kubernetes leaves to the environment: the API server from
// KUBERNETES_SERVICE_HOST/PORT when --kubernetes-api is not given, the node's
// name from NODE_NAME when --node-name is not given. Does nothing without
// --kubernetes. Fails saying which variable or flag is missing (a start-up
// failure: the flags were valid, the pod is not set up for them).
Status ResolveFromEnvironment(Options& options, const std::function<const char*(const char*)>& getenv);

// One flag as --help shows it.
struct FlagDoc {
  std::string names;         // "--listen", "-h, --help"
  std::string value;         // "HOST:PORT", "[=LIST]"; empty for a flag that takes none
  std::string help;          // one paragraph
  std::string default_text;  // empty: no default worth naming
  // default_text is a value the flag accepts that gives Options{}'s setting
  // (not a description such as "off" or "$NODE_NAME").
  bool default_is_value = false;
};

// Every flag, in the order --help lists them.
std::vector<FlagDoc> FlagDocs();

// --help: generated from FlagDocs(). Lines are at most 100 columns; each flag's
// entry ends with "(default: X)" when it has a default.
std::string Usage(const std::string& program);

const char* HookModeName(HookMode mode);
const char* MemorySourceName(MemorySource source);

}  // namespace hostprobe

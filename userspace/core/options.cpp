#include "options.h"

#include <charconv>
#include <optional>
#include <string_view>

#include "capabilities.h"
#include "duration.h"

namespace hostprobe {
namespace {

Error BadValue(std::string_view flag, std::string_view value, std::string_view why) {
  return Error{
      "invalid value \"" + std::string(value) + "\" for " + std::string(flag) + ": " + std::string(why),
      EINVAL};
}

Result<std::pair<std::string, uint16_t>> ParseListen(std::string_view flag, std::string_view v) {
  size_t colon = v.rfind(':');
  if (colon == std::string_view::npos) return BadValue(flag, v, "expected HOST:PORT, e.g. 0.0.0.0:9640");
  std::string_view host = v.substr(0, colon);
  std::string_view port_text = v.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.empty()) return BadValue(flag, v, "empty IPv6 address");
  } else if (host.find(':') != std::string_view::npos) {
    return BadValue(flag, v, "IPv6 addresses go in brackets, e.g. [::1]:9640");
  }
  // A bracket left inside the host ("[[::1]]") would make ListenAddress() name another address.
  if (host.find_first_of("[]") != std::string_view::npos) return BadValue(flag, v, "stray '[' or ']'");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return BadValue(flag, v, "port must be a number from 1 to 65535");
  return std::make_pair(host.empty() ? std::string("0.0.0.0") : std::string(host),
                        static_cast<uint16_t>(port));
}

}  // namespace

std::string Options::ListenAddress() const {
  if (listen_host.find(':') != std::string::npos)
    return "[" + listen_host + "]:" + std::to_string(listen_port);
  return listen_host + ":" + std::to_string(listen_port);
}

const char* HookModeName(HookMode mode) {
  switch (mode) {
    case HookMode::kAuto:
      return "auto";
    case HookMode::kTpBtf:
      return "tp_btf";
    case HookMode::kRawTp:
      return "raw_tp";
  }
  return "?";
}

const char* MemorySourceName(MemorySource source) {
  switch (source) {
    case MemorySource::kAuto:
      return "auto";
    case MemorySource::kEbpf:
      return "ebpf";
    case MemorySource::kProcfs:
      return "procfs";
  }
  return "?";
}

Result<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.show_help = true;
      continue;
    }
    if (arg == "--version") {
      o.show_version = true;
      continue;
    }
    if (arg == "--cpu-per-core") {
      o.cpu_per_core = true;
      continue;
    }
    if (arg == "--kubernetes") {
      o.kubernetes = true;
      continue;
    }
    if (arg == "--keep-capabilities") {
      o.keep_capabilities = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") return Error{"unexpected argument \"" + std::string(arg) + "\"", EINVAL};

    std::string_view flag = arg;
    std::optional<std::string_view> inline_value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    if (flag == "--cpu-per-core") return Error{"flag --cpu-per-core takes no value", EINVAL};
    if (flag == "--kubernetes") return Error{"flag --kubernetes takes no value", EINVAL};
    if (flag == "--keep-capabilities") {
      auto mask = ParseCapabilityList(inline_value.value_or(""));
      if (!mask) return BadValue(flag, *inline_value, mask.error().message + "; e.g. dac_read_search");
      o.keep_capability_mask |= *mask;
      continue;
    }
    static constexpr std::string_view kValued[] = {"--listen",
                                                   "--log-level",
                                                   "--sample-interval",
                                                   "--leak-window",
                                                   "--top-processes",
                                                   "--bpf-hook",
                                                   "--process-memory-source",
                                                   "--cgroup-root",
                                                   "--procfs",
                                                   "--rootfs",
                                                   "--probe",
                                                   "--probe-config",
                                                   "--kubernetes-api",
                                                   "--node-name",
                                                   "--kubernetes-token-file",
                                                   "--kubernetes-ca-file",
                                                   "--web-config",
                                                   "--max-series-per-family",
                                                   "--syscall-latency-sample",
                                                   "--removed-cgroup-grace",
                                                   "--state-dir"};
    bool known = false;
    for (auto k : kValued) known = known || k == flag;
    if (!known) return Error{"unknown flag " + std::string(flag), EINVAL};

    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error{"flag " + std::string(flag) + " needs a value", EINVAL};
    }

    if (flag == "--listen") {
      auto hp = ParseListen(flag, value);
      if (!hp) return hp.error();
      o.listen_host = hp->first;
      o.listen_port = hp->second;
    } else if (flag == "--log-level") {
      static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error"};
      bool ok = false;
      for (auto l : kLevels) ok = ok || l == value;
      if (!ok) return BadValue(flag, value, "expected trace, debug, info, warn or error");
      o.log_level = std::string(value);
    } else if (flag == "--sample-interval" || flag == "--leak-window") {
      auto d = ParseDuration(value);
      if (!d) return BadValue(flag, value, "expected a duration such as 10s, 5m, 1h");
      (flag == "--sample-interval" ? o.sample_interval : o.leak_window) = *d;
    } else if (flag == "--state-dir") {
      o.state_dir = std::string(value);
    } else if (flag == "--removed-cgroup-grace") {
      const bool zero = value == "0" || value == "0s" || value == "0ms" || value == "0m";
      auto d = ParseDuration(value);
      if (!d && !zero) return BadValue(flag, value, "expected a duration such as 0s, 90s, 2m");
      o.removed_cgroup_grace = zero ? std::chrono::nanoseconds(0) : *d;
      if (o.removed_cgroup_grace > std::chrono::hours(1))
        return BadValue(flag, value, "at most 1h (removed cgroups are kept in memory that long)");
    } else if (flag == "--top-processes") {
      uint32_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n > 100000)
        return BadValue(flag, value, "expected a whole number from 0 to 100000");
      o.top_processes = n;
    } else if (flag == "--max-series-per-family") {
      uint32_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n == 1 || n > 10000000)
        return BadValue(flag, value, "expected 0 (no cap) or a whole number from 2 to 10000000");
      o.max_series_per_family = n;
    } else if (flag == "--syscall-latency-sample") {
      uint32_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n == 0 || n > 65536)
        return BadValue(flag, value, "expected a whole number from 1 (time every call) to 65536");
      o.syscall_latency_sample = n;
    } else if (flag == "--bpf-hook") {
      if (value == "auto")
        o.hook_mode = HookMode::kAuto;
      else if (value == "tp_btf")
        o.hook_mode = HookMode::kTpBtf;
      else if (value == "raw_tp")
        o.hook_mode = HookMode::kRawTp;
      else
        return BadValue(flag, value, "expected auto, tp_btf or raw_tp");
    } else if (flag == "--process-memory-source") {
      if (value == "auto")
        o.memory_source = MemorySource::kAuto;
      else if (value == "ebpf")
        o.memory_source = MemorySource::kEbpf;
      else if (value == "procfs")
        o.memory_source = MemorySource::kProcfs;
      else
        return BadValue(flag, value, "expected auto, ebpf or procfs");
    } else if (flag == "--cgroup-root") {
      if (value.empty() || value.front() != '/') return BadValue(flag, value, "expected an absolute path");
      o.cgroup_root = std::string(value);
    } else if (flag == "--probe") {
      o.probes.emplace_back(value);
    } else if (flag == "--probe-config") {
      if (value.empty()) return BadValue(flag, value, "expected a file name");
      o.probe_config = std::string(value);
    } else if (flag == "--kubernetes-api") {
      if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0)
        return BadValue(flag, value, "expected a URL such as https://10.0.0.1:443");
      o.kubernetes_api = std::string(value);
    } else if (flag == "--node-name") {
      if (value.empty()) return BadValue(flag, value, "expected the node's name");
      o.node_name = std::string(value);
    } else if (flag == "--kubernetes-token-file" || flag == "--kubernetes-ca-file") {
      (flag == "--kubernetes-token-file" ? o.kubernetes_token_file : o.kubernetes_ca_file) =
          std::string(value);
    } else if (flag == "--web-config") {
      if (value.empty()) return BadValue(flag, value, "expected a file name");
      o.web_config = std::string(value);
    } else if (flag == "--procfs" || flag == "--rootfs") {
      if (value.empty() || value.front() != '/') return BadValue(flag, value, "expected an absolute path");
      (flag == "--procfs" ? o.procfs : o.rootfs) = std::string(value);
    }
  }
  // Divide rather than multiply: sample_interval * 3 can overflow.
  if (o.leak_window.count() / 3 < o.sample_interval.count())
    return BadValue("--leak-window", FormatDuration(o.leak_window),
                    "must span at least three --sample-interval periods");
  return o;
}

std::string Usage(const std::string& program) {
  return "Usage: " + program + R"( [flags]

eBPF host telemetry sensor: serves Prometheus metrics on /metrics.

Flags:
  --listen HOST:PORT          address of the HTTP endpoint (default 0.0.0.0:9640)
  --log-level LEVEL           trace, debug, info, warn, error (default info)
  --sample-interval DURATION  how often per-process memory is sampled (default 10s)
  --leak-window DURATION      leak detector's window W; W/6, W/3, W and 12W are judged (default 30m)
  --state-dir DIR             where leak histories are kept across restarts, written at
                              most once a minute; "" keeps none (default /var/lib/hostprobe)
  --top-processes N           per-process series kept, largest RSS first (default 20)
  --bpf-hook MODE             auto, tp_btf or raw_tp: kernel hook family (default auto)
  --syscall-latency-sample N  time the calls that start in 20 ms windows at random
                              moments, 1/N of the time, for the latency histograms
                              (each counts as N; counts stay exact). 1 times every
                              call, at about twice the per-call cost (default 64;
                              tp_btf only, raw_tp times every call)
  --process-memory-source SRC auto, ebpf or procfs: where per-process memory comes from;
                              ebpf: a BPF task iterator read at each sample; procfs:
                              /proc/<pid>/status of every process each sample; auto:
                              ebpf, or procfs where the kernel cannot (default auto)
  --removed-cgroup-grace DURATION
                              how long a removed cgroup's (a stopped container's) final
                              counts stay exported; pod totals outlive it (default 2m)
  --cgroup-root PATH          cgroup v2 mount used to name cgroups
                              (default: found in /proc/self/mountinfo)
  --procfs PATH               the host's /proc, e.g. /host/proc in a container (default /proc)
  --rootfs PATH               where the host's / is mounted, prefixed to mount points
                              for filesystem usage, e.g. /host (default /)
  --probe NAME=BINARY:SYMBOL[:latency]
                              count calls of a function (and time them); repeatable;
                              also NAME=BINARY:usdt:PROVIDER:PROBE for a USDT probe
  --probe-config FILE         probes, one per line ('#' comments)
  --cpu-per-core              also export CPU time per CPU (hostprobe_cpu_core_seconds_total)
  --kubernetes                name pods and containers from the API server, as info series
                              (hostprobe_pod_info, hostprobe_container_info); lists this
                              node's pods once, then watches them (RBAC: pods list, watch)
  --kubernetes-api URL        API server (default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)
  --node-name NAME            this node's name (default $NODE_NAME, from the downward API)
  --kubernetes-token-file F   bearer token (default: the pod's service account token)
  --kubernetes-ca-file F      CA bundle for the API server (default: the service account's ca.crt)
  --web-config FILE           TLS and basic auth for the endpoint, in the Prometheus
                              exporter-toolkit web config format (docs/security.md)
  --max-series-per-family N   series kept per metric family (a kept series stays kept);
                              the rest are folded into one series labelled "overflow"
                              (for counters a total that never decreases) and counted in
                              hostprobe_series_dropped_total (default 5000, 0: no cap)
  --keep-capabilities[=LIST]  keep every capability after start-up, or only those in
                              LIST (e.g. dac_read_search) on top of what is needed
                              (default: drop all not needed once programs are attached)
  --version                   print the version and exit
  --help                      print this help and exit

DURATION is Go/Prometheus style: 500ms, 10s, 5m, 1h.
Endpoints: /metrics, /healthz, /
)";
}

}  // namespace hostprobe

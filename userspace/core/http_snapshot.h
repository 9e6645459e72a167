// Plain snapshot of the HTTP/1.x maps of the syscall program, summed over
// CPUs. Produced by the BPF side (SyscallsCollector), turned into metrics by
// pure functions (exporters/prometheus/http_metrics.h).
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "../../bpf/http.h"
#include "result.h"

namespace hostprobe {

static_assert(sizeof(hp_conn_key) == 8);
static_assert(sizeof(hp_conn) == 16);
static_assert(sizeof(hp_http_server_key) == 16);
static_assert(sizeof(hp_http_client_key) == 32);
static_assert(sizeof(hp_http_stats) == 8 * (2 + HP_LATENCY_SLOTS));

// Count and log2 latency histogram of one series.
struct HttpStats {
  uint64_t count = 0;
  uint64_t sum_ns = 0;
  std::array<uint64_t, HP_LATENCY_SLOTS> slots{};
};

struct HttpServerCounts {
  uint64_t cgroup_id = 0;
  uint16_t port = 0;
  uint32_t status_class = 0;  // 1..5, 0: other
  HttpStats stats;
};

struct HttpClientCounts {
  uint64_t cgroup_id = 0;
  std::string comm;
  uint32_t status_class = 0;  // 1..5, 0: other
  HttpStats stats;
};

struct HttpSnapshot {
  bool available = false;  // false: the HTTP part is not running (raw_tp, not x86_64)
  std::vector<HttpServerCounts> server;
  std::vector<HttpClientCounts> client;
  std::array<uint64_t, HP_HTTP_STAT__COUNT> self_stats{};  // indexed by hp_http_self_stat
};

// "1xx".."5xx", or "other" for 0 and anything else.
inline std::string HttpStatusClassLabel(uint32_t status_class) {
  if (status_class >= 1 && status_class <= 5) return std::to_string(status_class) + "xx";
  return "other";
}

// Implemented by the eBPF syscall collector, faked in tests.
class HttpSource {
 public:
  virtual ~HttpSource() = default;
  virtual Result<HttpSnapshot> ReadHttp() = 0;
  // Drops the kernel's HTTP series of cgroups that no longer exist.
  virtual void ForgetHttpCgroups(const std::vector<uint64_t>& ids) = 0;
};

}  // namespace hostprobe

// Plain snapshot of the uprobe/USDT collector's counters and the interface
// the exporter reads it through.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "../../bpf/uprobes.h"
#include "core/result.h"

namespace hostprobe {

struct ProbeCounts {
  std::string name;      // the probe label
  bool latency = false;  // a :latency probe: the histogram below is meaningful
  uint64_t calls = 0;
  uint64_t latency_sum_ns = 0;
  std::array<uint64_t, HP_LATENCY_SLOTS> latency_slots{};
};

struct ProbeSnapshot {
  std::vector<ProbeCounts> probes;                       // in the order the probes were given
  std::array<uint64_t, HP_UP_STAT__COUNT> self_stats{};  // indexed by hp_uprobe_self_stat
};

// Implemented by UprobeCollector, faked in tests of the exporter.
class ProbeSource {
 public:
  virtual ~ProbeSource() = default;
  virtual Result<ProbeSnapshot> ReadProbes() = 0;
};

}  // namespace hostprobe

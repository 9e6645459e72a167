// Plain snapshot of the process events collector's kernel maps (crashes,
// OOM kills, execs per cgroup) and the interfaces the exporter and the
// cgroup resolver read it through.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "../../bpf/process_events.h"
#include "core/cgroup.h"
#include "core/result.h"

namespace hostprobe {

// Processes a signal ended, by cgroup v2 id and signal, summed over CPUs.
struct CrashCount {
  uint64_t cgroup_id = 0;
  uint32_t signal = 0;  // 1..64
  uint64_t count = 0;
};

struct ProcessCgroupCounts {
  uint64_t cgroup_id = 0;
  uint64_t execs = 0;
  uint64_t oom_kills = 0;
};

struct ProcessEventsSnapshot {
  std::vector<CrashCount> crashes;
  std::vector<ProcessCgroupCounts> cgroups;
  std::array<uint64_t, HP_PE_STAT__COUNT> self_stats{};  // indexed by hp_process_events_self_stat
};

// Implemented by ProcessEventsCollector, faked in tests of the exporter.
class ProcessEventsSource {
 public:
  virtual ~ProcessEventsSource() = default;
  virtual Result<ProcessEventsSnapshot> ReadProcessEvents() = 0;
  // Drops the kernel's counts of cgroups that no longer exist.
  virtual void ForgetCgroups(const std::vector<uint64_t>& ids) = 0;
};

// The name and parent the kernel recorded for a cgroup v2 id when one of its
// tasks exec'd or crashed (bpf/process_events.bpf.c, cgroup_names), or
// nullopt. Feeds CgroupResolver::SetLearner.
class CgroupNameSource {
 public:
  virtual ~CgroupNameSource() = default;
  virtual std::optional<LearnedCgroup> LookupCgroupName(uint64_t cgroup_id) = 0;
};

}  // namespace hostprobe

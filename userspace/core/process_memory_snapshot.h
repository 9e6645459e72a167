// Plain snapshot of the process memory collector (every process's memory
// and the leak detector's verdicts) and the interface the exporter reads it
// through.
#pragma once

#include <linux/types.h>  // __u32/__u64 for the shared BPF header

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../../bpf/process_memory.h"
#include "core/memory_limit.h"

namespace hostprobe {

// One live process at the latest sample.
struct ProcessMemory {
  int32_t pid = 0;
  std::string comm;    // raw, as the kernel has it: may hold any byte
  std::string cgroup;  // cgroup v2 path from /proc/<pid>/cgroup; empty without one
  uint64_t rss_bytes = 0;
  uint64_t anon_bytes = 0;
  // With types_known (both sources), file and shmem apart; without (a
  // source that cannot tell them apart, as statm), file_bytes is file +
  // shmem and shmem_bytes is 0.
  uint64_t file_bytes = 0;
  uint64_t shmem_bytes = 0;
  uint64_t swap_bytes = 0;  // swapped-out anonymous memory
  bool types_known = false;
  // What the leak detector judges: anon + shmem + swap, memory only the
  // process's own growth adds (file-backed pages come and go with the page
  // cache; leaked pages that go to swap still count).
  uint64_t judged_bytes = 0;
  uint64_t data_bytes = 0;                 // statm "data", VmData + VmStk: data_vm + stack_vm
  std::optional<uint64_t> brk_heap_bytes;  // brk - start_brk; task iterator only
  bool leak_suspected = false;
  double growth_bytes_per_second = 0;  // the detector's floor slope, when suspected
  // Suspects only: the nearest limit that would kill it, and the seconds
  // until its growth fills what is left of it (nullopt: not growing).
  std::optional<MemoryHeadroom> headroom;
  std::optional<double> exhaustion_seconds;
};

// The processes of one cgroup (the unit Kubernetes kills) judged together.
struct CgroupMemory {
  std::string cgroup;  // v2 path
  // Its own anonymous memory (anon + shmem + swap charged to it) where the
  // v2 memory controller is on for it, else the sum of its processes'
  // judged memory (see from_cgroup).
  uint64_t judged_bytes = 0;
  bool from_cgroup = false;
  bool leak_suspected = false;
  double growth_bytes_per_second = 0;
  std::optional<MemoryHeadroom> headroom;  // suspects only
  std::optional<double> exhaustion_seconds;
};

struct ProcessMemorySnapshot {
  bool sampled = false;                  // false until the first sample completes
  std::vector<ProcessMemory> processes;  // every process with memory (no kernel threads), by pid
  std::vector<CgroupMemory> cgroups;     // every cgroup with a process, by path
  bool rss_from_ebpf = false;            // resident figures from the task iterator, else /proc/<pid>/status
  bool data_from_ebpf = false;           // data and brk figures from the task iterator, else status
  uint64_t samples = 0;                  // completed samples
  uint64_t vanished = 0;                 // processes gone between listing and reading (ENOENT/ESRCH)
  uint64_t read_errors = 0;              // other failed reads of a process's files, or of the iterator
  double last_sample_seconds = 0;        // wall time of the latest sample
  size_t tracked = 0;                    // processes with a leak history
  size_t tracker_bytes = 0;              // memory held for them (histories and bookkeeping)
  bool state_kept = false;               // --state-dir is in use
  size_t state_restored = 0;             // processes whose history came back from --state-dir at start
  size_t state_restored_cgroups = 0;     // cgroups whose history came back (when seen again)
  uint64_t state_saves = 0, state_save_failures = 0;
  std::array<uint64_t, HP_PM_STAT__COUNT> self_stats{};  // indexed by hp_process_memory_self_stat
};

// Implemented by ProcessMemoryCollector, faked in tests of the exporter.
class ProcessMemorySource {
 public:
  virtual ~ProcessMemorySource() = default;
  // The latest sample; never walks /proc. Cheap: a shared pointer copy.
  virtual std::shared_ptr<const ProcessMemorySnapshot> ProcessMemorySample() = 0;
};

}  // namespace hostprobe

// Per-cgroup on-CPU time that is current at every read.
//
// The kernel side adds a task's time to its cgroup when the task leaves the
// CPU, so a CPU-bound task that is never switched out would show nothing,
// then everything at once. Each CPU also tells which cgroup its slice in
// progress belongs to and since when; a read adds those slices up to the
// time of the read. The totals are read before the slices: a slice that
// ends in between is then missing from this read (the next one has it),
// never counted twice. A read whose copy of a CPU's slice mixes two slices
// can over-count; every cgroup's figure is therefore kept from going down,
// so Prometheus never sees a counter reset, only a short flat stretch.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/diskio_snapshot.h"

namespace hostprobe {

struct RunningSlice {
  uint64_t cgroup_id = 0;  // 0: the idle task, or nothing seen yet
  uint64_t since_ns = 0;   // CLOCK_MONOTONIC
};

class CurrentCgroupCpu {
 public:
  // `ended`: the kernel's totals of ended slices; `running`: each CPU's slice
  // in progress, read after them; `now_ns`: CLOCK_MONOTONIC, read after both.
  std::vector<CgroupCpuTime> Update(std::vector<CgroupCpuTime> ended, std::span<const RunningSlice> running,
                                    uint64_t now_ns);
  // Cgroups that are gone: their floors go with them.
  void Forget(const std::vector<uint64_t>& ids);
  size_t tracked() const { return floor_.size(); }

 private:
  std::unordered_map<uint64_t, uint64_t> floor_;
};

}  // namespace hostprobe

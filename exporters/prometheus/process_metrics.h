// Per-process memory (largest processes and leak suspects), resident memory
// per cgroup, and the process memory collector's own figures: snapshots to
// metric families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <vector>

#include "core/process_memory_snapshot.h"

namespace hostprobe {

// Pure. Per-process series for the `top_n` processes with the most resident
// memory (ties: lower pid first) plus every leak suspect; per-cgroup sums
// over every process. Empty per-process families are left out.
std::vector<prometheus::MetricFamily> BuildProcessMemoryFamilies(const ProcessMemorySnapshot& snap,
                                                                 uint32_t top_n);

// Reads the collector's latest sample: a scrape never walks /proc.
class ProcessMemoryMetrics : public prometheus::Collectable {
 public:
  ProcessMemoryMetrics(ProcessMemorySource& source, uint32_t top_n) : source_(source), top_n_(top_n) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  ProcessMemorySource& source_;
  const uint32_t top_n_;
};

}  // namespace hostprobe

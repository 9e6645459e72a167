// The sensor's own metrics: build info, which kernel programs are attached,
// and the standard process_* figures (CPU, memory, fds, start time).
#pragma once

#include <prometheus/collectable.h>

#include <vector>

#include "core/collector.h"

namespace hostprobe {

class SelfMetrics : public prometheus::Collectable {
 public:
  // `slots` must outlive this object.
  explicit SelfMetrics(const std::vector<CollectorSlot>& slots);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::vector<CollectorSlot>& slots_;
  const double start_time_seconds_;
};

}  // namespace hostprobe

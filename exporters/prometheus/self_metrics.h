// The sensor's own metrics: build info and which kernel programs are attached.
#pragma once

#include <prometheus/collectable.h>

#include <vector>

#include "core/collector.h"

namespace hostprobe {

class SelfMetrics : public prometheus::Collectable {
 public:
  // `slots` must outlive this object.
  explicit SelfMetrics(const std::vector<CollectorSlot>& slots) : slots_(slots) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::vector<CollectorSlot>& slots_;
};

}  // namespace hostprobe

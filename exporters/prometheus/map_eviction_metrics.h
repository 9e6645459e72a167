// hostprobe_bpf_map_evictions_total: evictions from the sensor's LRU maps.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

#include "core/map_evictions.h"
#include "exporters/prometheus/snapshot_collect.h"

namespace hostprobe {

// Pure. One series per map label (maps sharing a label are summed), in label
// order. Nothing when the kernel program is not attached: an absent family
// says "not counted", where zeros would say "nothing evicted".
std::vector<prometheus::MetricFamily> BuildMapEvictionFamilies(const MapEvictionsSnapshot& snap);

class MapEvictionMetrics : public prometheus::Collectable {
 public:
  explicit MapEvictionMetrics(MapEvictionsSource& source) : source_(source) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  MapEvictionsSource& source_;
  mutable ReadErrors read_errors_{"map_evictions"};
};

}  // namespace hostprobe

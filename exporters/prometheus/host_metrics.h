// Turns host snapshots into the hostprobe_cpu*, hostprobe_memory*,
// hostprobe_swap*, hostprobe_pressure* and hostprobe_filesystem* metric families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/host_snapshot.h"
#include "exporters/prometheus/snapshot_collect.h"

namespace hostprobe {

// Pure: snapshot in, families out. Families with nothing to report (no
// pressure information, no per-CPU data, a meminfo field the kernel does not
// have) are left out rather than sent empty.
std::vector<prometheus::MetricFamily> BuildHostFamilies(const HostSnapshot& snap);

// Reads the source on every scrape. A failed read, or a snapshot with parts
// missing, counts in hostprobe_collector_read_errors_total{collector="host"}.
// Collect() may run concurrently from several HTTP threads.
class HostMetrics : public prometheus::Collectable {
 public:
  explicit HostMetrics(HostSource& source) : source_(source) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  HostSource& source_;
  mutable ReadErrors read_errors_{"host"};
  mutable std::mutex mu_;
  mutable std::set<std::string> logged_problems_;  // logged once each while they persist
};

}  // namespace hostprobe

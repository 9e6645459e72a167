// Turns HTTP snapshots (the syscall program's HTTP/1.x maps) into the
// hostprobe_http_* metric families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/cgroup.h"
#include "core/histogram.h"
#include "core/http_snapshot.h"
#include "exporters/prometheus/cgroup_families.h"
#include "exporters/prometheus/snapshot_collect.h"

namespace hostprobe {

// Bucket layout of the request duration histograms: 2^16 ns (~66 us) to
// 2^34 ns (~17 s), factor 2.
CumulativeHistogram HttpDurationHistogram(std::span<const uint64_t> slots, uint64_t sum_ns);

// Pure: snapshot in, families out. Series of ids that share a cgroup label
// value are summed. A snapshot that is not available gives only
// hostprobe_http_tracker_available 0.
CgroupFamilies BuildHttpFamilies(const HttpSnapshot& snap, const CgroupNameFn& cgroup_name);

// Reads the source on every scrape; the HTTP series of removed cgroups are
// dropped from the kernel maps like the other per-cgroup families
// (CgroupCollect). Thread-safe.
class HttpMetrics : public prometheus::Collectable {
 public:
  HttpMetrics(HttpSource& source, CgroupResolver& cgroups);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  HttpSource& source_;
  mutable CgroupCollect collect_;
};

}  // namespace hostprobe

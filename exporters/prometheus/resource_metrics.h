// Block I/O (per device and op) and per-cgroup CPU time metric families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/diskio_snapshot.h"
#include "exporters/prometheus/cgroup_labeler.h"

namespace hostprobe {

// Kernel device name ("vda", "nvme0n1") for a major:minor, nullopt if unknown.
using DeviceNamer = std::function<std::optional<std::string>(uint32_t major, uint32_t minor)>;
using CgroupNameFn = std::function<std::optional<std::string>(uint64_t cgroup_id)>;

struct BuiltFamilies {
  std::vector<prometheus::MetricFamily> families;
  std::vector<uint64_t> unresolved_cgroups;
};

// Pure. Devices the namer does not know are labelled "<major>:<minor>".
BuiltFamilies BuildDiskioFamilies(const DiskioSnapshot& snap, const DeviceNamer& device_name,
                                  const CgroupNameFn& cgroup_name);
BuiltFamilies BuildCgroupCpuFamilies(const CgroupCpuSnapshot& snap, const CgroupNameFn& cgroup_name);

class DiskioMetrics : public prometheus::Collectable {
 public:
  DiskioMetrics(DiskioSource& source, DeviceNamer device_name, CgroupResolver& cgroups)
      : source_(source), device_name_(std::move(device_name)), labeler_(cgroups) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  DiskioSource& source_;
  DeviceNamer device_name_;
  mutable CgroupLabeler labeler_;
  mutable std::atomic<uint64_t> read_errors_{0};
};

class CgroupCpuMetrics : public prometheus::Collectable {
 public:
  CgroupCpuMetrics(CgroupCpuSource& source, CgroupResolver& cgroups) : source_(source), labeler_(cgroups) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  CgroupCpuSource& source_;
  mutable CgroupLabeler labeler_;
  mutable std::atomic<uint64_t> read_errors_{0};
};

}  // namespace hostprobe

// Block I/O (per device and op) and per-cgroup CPU time metric families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/diskio_snapshot.h"
#include "exporters/prometheus/cgroup_families.h"
#include "exporters/prometheus/snapshot_collect.h"

namespace hostprobe {

// Kernel device name ("vda", "nvme0n1") for a major:minor, nullopt if unknown.
using DeviceNamer = std::function<std::optional<std::string>(uint32_t major, uint32_t minor)>;
// Pure. Devices the namer does not know are labelled "<major>:<minor>".
CgroupFamilies BuildDiskioFamilies(const DiskioSnapshot& snap, const DeviceNamer& device_name,
                                   const CgroupNameFn& cgroup_name);
CgroupFamilies BuildCgroupCpuFamilies(const CgroupCpuSnapshot& snap, const CgroupNameFn& cgroup_name);

class DiskioMetrics : public prometheus::Collectable {
 public:
  DiskioMetrics(DiskioSource& source, DeviceNamer device_name, CgroupResolver& cgroups)
      : source_(source), device_name_(std::move(device_name)), collect_("diskio", cgroups) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  DiskioSource& source_;
  DeviceNamer device_name_;
  mutable CgroupCollect collect_;
};

class CgroupCpuMetrics : public prometheus::Collectable {
 public:
  CgroupCpuMetrics(CgroupCpuSource& source, CgroupResolver& cgroups)
      : source_(source), collect_("cgroup_cpu", cgroups) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  CgroupCpuSource& source_;
  mutable CgroupCollect collect_;
};

}  // namespace hostprobe

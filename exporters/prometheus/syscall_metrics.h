// Turns syscall snapshots into the hostprobe_syscall* and
// hostprobe_cgroup_syscall* metric families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

#include "core/cgroup.h"
#include "core/syscall_snapshot.h"
#include "core/syscall_table.h"
#include "exporters/prometheus/cgroup_families.h"
#include "exporters/prometheus/snapshot_collect.h"

namespace hostprobe {

using SyscallFamilies = CgroupFamilies;

// Pure: snapshot in, families out.
SyscallFamilies BuildSyscallFamilies(const SyscallSnapshot& snap, const SyscallTable& table,
                                     const CgroupNameFn& cgroup_name);

// Reads the source on every scrape (CgroupCollect). Cgroups that a walk of
// the tree made after they were first seen unnamed does not find (they were
// removed) are dropped from the kernel map.
class SyscallMetrics : public prometheus::Collectable {
 public:
  SyscallMetrics(SyscallSource& source, const SyscallTable& table, CgroupResolver& cgroups);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SyscallSource& source_;
  const SyscallTable& table_;
  mutable CgroupCollect collect_;
};

}  // namespace hostprobe

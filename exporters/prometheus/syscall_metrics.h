// Turns syscall snapshots into the hostprobe_syscall* and
// hostprobe_cgroup_syscall* metric families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/cgroup.h"
#include "core/syscall_snapshot.h"
#include "core/syscall_table.h"
#include "exporters/prometheus/cgroup_labeler.h"

namespace hostprobe {

using CgroupNamer = std::function<std::optional<std::string>(uint64_t cgroup_id)>;

struct SyscallFamilies {
  std::vector<prometheus::MetricFamily> families;
  std::vector<uint64_t> unresolved_cgroups;  // ids the namer did not know
};

// Pure: snapshot in, families out.
SyscallFamilies BuildSyscallFamilies(const SyscallSnapshot& snap, const SyscallTable& table,
                                     const CgroupNamer& cgroup_name);

// Reads the source on every scrape. Cgroups that a walk of the tree made
// after they were first seen unnamed does not find (they were removed) are
// dropped from the kernel map.
class SyscallMetrics : public prometheus::Collectable {
 public:
  SyscallMetrics(SyscallSource& source, const SyscallTable& table, CgroupResolver& cgroups);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  SyscallSource& source_;
  const SyscallTable& table_;
  mutable CgroupLabeler labeler_;
  mutable std::mutex mu_;
  mutable uint64_t read_errors_ = 0;
};

}  // namespace hostprobe

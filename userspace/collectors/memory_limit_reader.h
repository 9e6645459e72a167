// Finds the memory limit that would kill a process (its cgroup's or an
// ancestor's; else the node's available memory) by reading the cgroup and
// proc files. For leak suspects only: a few small reads each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/memory_limit.h"

namespace hostprobe {

class MemoryLimitReader {
 public:
  // cgroup2_root: the v2 tree the sensor names cgroups from ("" if none). On
  // a hybrid host (v2 at <cgroupfs>/unified) the v1 memory hierarchy is
  // taken from <cgroupfs>/memory when it exists.
  MemoryLimitReader(std::string procfs, std::string cgroup2_root);

  // The nearest limit of process `pid`, whose v2 cgroup is `cgroup_path`
  // ("/kubepods/..."; empty if unknown): the smallest headroom among its v2
  // memory.max up to the root and its v1 hierarchical_memory_limit; the
  // node's MemAvailable when neither limits it.
  MemoryHeadroom For(int32_t pid, const std::string& cgroup_path) const;

  // A v2 cgroup's own anonymous memory: anon + shmem of its memory.stat plus
  // memory.swap.current, everything charged to it whichever process made
  // it; nullopt where the memory controller is not enabled for it (hybrid
  // hosts, where it lives on v1).
  std::optional<uint64_t> CgroupAnonymous(const std::string& cgroup_path) const;

  const std::string& v1_memory_root() const { return v1_root_; }

 private:
  std::string procfs_, v2_root_, v1_root_;
};

}  // namespace hostprobe

#include "core/syscall_snapshot.h"

#include <algorithm>

namespace hostprobe {

std::vector<CgroupSyscallCounts> CgroupCountMerger::Merge(const std::vector<CgroupSyscallCounts>& flushed,
                                                          const std::vector<CgroupSyscallCounts>& pending) {
  std::unordered_map<uint64_t, CgroupSyscallCounts> sum;
  for (const auto* part : {&flushed, &pending}) {
    for (const auto& c : *part) {
      auto& s = sum[c.cgroup_id];
      s.cgroup_id = c.cgroup_id;
      s.calls += c.calls;
      s.errors += c.errors;
    }
  }
  // Each figure read is at most the truth (see the header), so the largest
  // seen so far is the best lower bound, and it never goes down.
  for (const auto& [id, s] : sum) {
    auto& f = floor_[id];
    f.cgroup_id = id;
    f.calls = std::max(f.calls, s.calls);
    f.errors = std::max(f.errors, s.errors);
  }
  std::vector<CgroupSyscallCounts> out;
  out.reserve(floor_.size());
  for (const auto& [id, f] : floor_) out.push_back(f);
  std::sort(out.begin(), out.end(), [](const CgroupSyscallCounts& a, const CgroupSyscallCounts& b) {
    return a.cgroup_id < b.cgroup_id;
  });
  return out;
}

void CgroupCountMerger::Forget(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) floor_.erase(id);
}

}  // namespace hostprobe

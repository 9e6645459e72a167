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

std::chrono::nanoseconds LatencyWindowGap(uint32_t every, std::chrono::nanoseconds open, double u) {
  if (every <= 1 || open.count() <= 0) return std::chrono::nanoseconds(0);
  u = std::clamp(u, 0.0, 1.0);
  double gap = 2.0 * static_cast<double>(every - 1) * static_cast<double>(open.count()) * u;
  return std::chrono::nanoseconds(static_cast<int64_t>(gap));
}

std::optional<CgroupSyscallCounts> ReadPendingBatch(const std::function<PendingBatchRead()>& read,
                                                    int tries) {
  for (int i = 0; i < tries; ++i) {
    PendingBatchRead r = read();
    if (r.seq_before == r.seq_after && r.seq_before % 2 == 0) return r.batch;
  }
  return std::nullopt;
}

void CgroupCountMerger::Forget(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) floor_.erase(id);
}

}  // namespace hostprobe

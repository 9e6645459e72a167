#include "core/cgroup_cpu_current.h"

#include <algorithm>

namespace hostprobe {

std::vector<CgroupCpuTime> CurrentCgroupCpu::Update(std::vector<CgroupCpuTime> ended,
                                                    std::span<const RunningSlice> running, uint64_t now_ns) {
  std::unordered_map<uint64_t, size_t> index;
  index.reserve(ended.size());
  for (size_t i = 0; i < ended.size(); ++i) index.emplace(ended[i].cgroup_id, i);
  for (const RunningSlice& r : running) {
    // A slice that started after the clock was read belongs to the next read.
    if (r.cgroup_id == 0 || r.since_ns == 0 || r.since_ns >= now_ns) continue;
    auto [it, added] = index.emplace(r.cgroup_id, ended.size());
    if (added) ended.push_back({r.cgroup_id, 0});
    ended[it->second].ns += now_ns - r.since_ns;
  }
  for (CgroupCpuTime& c : ended) {
    uint64_t& floor = floor_[c.cgroup_id];
    c.ns = std::max(c.ns, floor);
    floor = c.ns;
  }
  return ended;
}

void CurrentCgroupCpu::Forget(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) floor_.erase(id);
}

}  // namespace hostprobe

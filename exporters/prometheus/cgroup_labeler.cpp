#include "exporters/prometheus/cgroup_labeler.h"

#include "core/labels.h"

namespace hostprobe {

std::optional<std::string> CgroupLabeler::Name(uint64_t id) {
  auto path = resolver_.Resolve(id);
  if (!path) return std::nullopt;
  return SanitizeLabelValue(*path);
}

std::vector<uint64_t> CgroupLabeler::Sweep(const std::vector<uint64_t>& unresolved) {
  const uint64_t generation = resolver_.scans();
  std::lock_guard lock(mu_);
  std::unordered_map<uint64_t, uint64_t> still;
  std::vector<uint64_t> gone;
  for (uint64_t id : unresolved) {
    auto it = unresolved_since_.find(id);
    if (it == unresolved_since_.end())
      still[id] = generation;
    else if (generation > it->second)
      gone.push_back(id);
    else
      still[id] = it->second;
  }
  unresolved_since_ = std::move(still);
  return gone;
}

}  // namespace hostprobe

#include "core/pod_events.h"

#include <iterator>
#include <set>

namespace hostprobe {

namespace {

void Add(PodEvents& into, const PodCgroupEvents& c) {
  into.crashes += c.crashes;
  into.oom_kills += c.oom_kills;
  into.execs += c.execs;
  if (c.container && c.execs > 0) ++into.container_starts;
}

}  // namespace

std::vector<PodEvents> PodEventTotals::Update(const std::vector<PodCgroupEvents>& cgroups,
                                              const std::vector<std::string>& present_pods) {
  // A cgroup that is not fed in this time (its name is no longer known) keeps
  // its last counts until Retire: the kernel still holds them.
  std::set<std::string> fed_pods;
  for (const PodCgroupEvents& c : cgroups) {
    if (c.pod_uid.empty()) continue;
    last_[c.cgroup_id] = c;
    fed_pods.insert(c.pod_uid);
  }
  std::set<std::string> pods(present_pods.begin(), present_pods.end());
  pods.insert(fed_pods.begin(), fed_pods.end());
  pods.erase(std::string());
  // A pod that is gone (no cgroup in the tree or in its grace period, no
  // counts) goes with everything kept for it.
  for (auto it = retired_.begin(); it != retired_.end();)
    it = pods.count(it->first) == 0 ? retired_.erase(it) : std::next(it);
  for (auto it = last_.begin(); it != last_.end();)
    it = pods.count(it->second.pod_uid) == 0 ? last_.erase(it) : std::next(it);

  std::map<std::string, PodEvents> totals;
  for (const std::string& pod : pods) {
    auto it = retired_.find(pod);
    PodEvents t = it != retired_.end() ? it->second : PodEvents{};
    t.pod_uid = pod;
    totals[pod] = t;
  }
  for (const auto& entry : last_) Add(totals[entry.second.pod_uid], entry.second);
  std::vector<PodEvents> out;
  out.reserve(totals.size());
  for (auto& entry : totals) out.push_back(std::move(entry.second));
  return out;
}

void PodEventTotals::Retire(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    auto it = last_.find(id);
    if (it == last_.end()) continue;
    PodEvents& r = retired_[it->second.pod_uid];
    r.pod_uid = it->second.pod_uid;
    Add(r, it->second);
    last_.erase(it);
  }
}

}  // namespace hostprobe

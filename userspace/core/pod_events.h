// Crash, OOM-kill, exec and container-start counts per pod, kept across the
// removal of the pod's container cgroups: a container that restarts gets a
// new cgroup each time, whose own counts go when it is removed, while the pod
// (and its cgroup) stays. Pure: fed the per-cgroup counts on every scrape.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace hostprobe {

// The counts the kernel holds for one cgroup v2 id, with the pod it is in.
struct PodCgroupEvents {
  uint64_t cgroup_id = 0;
  std::string pod_uid;     // non-empty: only pods' cgroups are fed in
  bool container = false;  // the cgroup is a container's (not the pod's own)
  uint64_t crashes = 0;    // every signal
  uint64_t oom_kills = 0;
  uint64_t execs = 0;
};

struct PodEvents {
  std::string pod_uid;
  uint64_t crashes = 0;
  uint64_t oom_kills = 0;
  uint64_t execs = 0;
  uint64_t container_starts = 0;  // container cgroups in which a process exec'd
};

// Not thread-safe; one per exporter, called under its scrape.
class PodEventTotals {
 public:
  // The counts of every pod cgroup the kernel holds and that could be named
  // now (one no longer named keeps its last counts), and the pods that exist (their cgroup is in the tree or
  // inside its grace period). Returns one entry per pod that exists or has counts, sorted by pod uid: a pod
  // that exists has its series from the start, at 0, so the first crash is
  // an increase.
  std::vector<PodEvents> Update(const std::vector<PodCgroupEvents>& cgroups,
                                const std::vector<std::string>& present_pods);

  // The kernel's entries of these cgroups are about to be dropped: their
  // last counts move into their pod's totals. Ids never fed in are ignored.
  void Retire(const std::vector<uint64_t>& ids);

  size_t pods() const { return retired_.size(); }

 private:
  std::unordered_map<uint64_t, PodCgroupEvents> last_;  // by cgroup id
  std::map<std::string, PodEvents> retired_;            // by pod uid
};

}  // namespace hostprobe

// cgroup v2 ids (what bpf_get_current_cgroup_id() returns: the kernfs inode
// number of the cgroup's directory) resolved to paths such as
// "/system.slice/ssh.service".
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "result.h"

namespace hostprobe {

// Mount point of the first cgroup2 filesystem in /proc/<pid>/mountinfo text
// ("/sys/fs/cgroup" on pure v2 hosts, "/sys/fs/cgroup/unified" on hybrid ones).
std::optional<std::string> FindCgroup2Mount(std::string_view mountinfo);

// The cgroup2 tree to name ids from: the host's (pid 1's mountinfo, the
// mount point reached through `rootfs`) when `usable` says it can be read, so
// a container with hostPID and the host's / mounted finds the host's tree and
// not its own namespaced one; else the one in this process's mountinfo.
std::optional<std::string> ChooseCgroup2Root(std::string_view host_mountinfo, std::string_view self_mountinfo,
                                             const std::string& rootfs,
                                             const std::function<bool(const std::string&)>& usable);

// A --cgroup-root given as the top of a hybrid host's layout (a tmpfs of v1
// controllers with the v2 tree at <root>/unified) is taken to mean the v2
// tree; any other root is used as given.
std::string NormalizeCgroup2Root(const std::string& root,
                                 const std::function<bool(const std::string&)>& is_cgroup2);

// What the kernel recorded of a cgroup when one of its tasks exec'd: enough
// to name it from its parent once its directory is gone.
struct LearnedCgroup {
  uint64_t parent_id = 0;
  std::string name;  // the directory's name, no slash
};
using CgroupLearner = std::function<std::optional<LearnedCgroup>(uint64_t id)>;
using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

// Thread-safe. Walks the tree under `root` to learn id -> path, and walks it
// again (at most once per `min_rescan`) when asked for an id it does not know,
// and when the last walk is older than `max_age`: without that, a quiet host
// (no new cgroups) would go on naming removed cgroups, and their series and
// kernel map entries would never go.
//
// With a grace period (SetRemovedGrace), a cgroup that a walk no longer finds
// keeps its name for that long, so the final counts of a removed container
// are still exported for a few scrapes. A cgroup no walk ever saw (made and
// removed between two walks) is named from what the learner recorded (its
// parent's path and its own name) and kept as long.
class CgroupResolver {
 public:
  explicit CgroupResolver(std::string root, std::chrono::milliseconds min_rescan = std::chrono::seconds(1),
                          std::chrono::milliseconds max_age = std::chrono::seconds(10));

  // "/" for the root cgroup; nullopt for ids not in the tree (removed longer
  // than the grace period ago, or created after the last walk and inside the
  // rescan interval, and unknown to the learner).
  std::optional<std::string> Resolve(uint64_t id);

  // Walks the tree now. Fails only when the root itself cannot be read.
  Status Rescan();

  // 0 (the default): a removed cgroup is forgotten at the first walk that
  // misses it, and the learner is not asked.
  void SetRemovedGrace(std::chrono::milliseconds grace);
  void SetLearner(CgroupLearner learner);
  void SetClock(SteadyNow now);  // for tests

  // Paths of every cgroup known now: in the tree at the last walk, or
  // removed and inside the grace period.
  std::vector<std::string> KnownPaths();

  const std::string& root() const { return root_; }
  uint64_t scans() const;
  size_t known() const;
  size_t removed_known() const;  // removed cgroups still named (inside the grace period)

 private:
  struct Removed {
    std::string path;
    std::chrono::steady_clock::time_point since;
  };
  Status RescanLocked();
  void ExpireLocked(std::chrono::steady_clock::time_point now);
  std::optional<std::string> LearnLocked(uint64_t id, int depth);

  const std::string root_;
  const std::chrono::milliseconds min_rescan_;
  const std::chrono::milliseconds max_age_;
  std::chrono::milliseconds grace_{0};
  CgroupLearner learner_;
  SteadyNow now_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::string> paths_;
  std::unordered_map<uint64_t, Removed> removed_;
  // Ids whose grace ended, with when: never learned again (their kernel map
  // entries are being dropped), forgotten after a while.
  std::unordered_map<uint64_t, std::chrono::steady_clock::time_point> expired_;
  std::chrono::steady_clock::time_point last_scan_{};
  uint64_t scans_ = 0;
};

}  // namespace hostprobe

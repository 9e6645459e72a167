#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <sstream>
#include <vector>

#include "procfs.h"

namespace hostprobe {
namespace {

// Depth-first walk using readdir's d_ino, which on cgroupfs (kernfs) is the
// cgroup id, so no stat() per directory is needed.
void Walk(int dirfd, const std::string& path, std::unordered_map<uint64_t, std::string>& out, int depth) {
  if (depth > 64) return;  // cgroup trees are shallow; guard against loops anyway
  DIR* dir = fdopendir(dirfd);
  if (dir == nullptr) {
    close(dirfd);
    return;
  }
  std::vector<std::pair<std::string, uint64_t>> children;
  while (dirent* e = readdir(dir)) {
    if (e->d_type != DT_DIR) continue;
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    children.emplace_back(std::string(name), e->d_ino);
  }
  for (auto& [name, ino] : children) {
    std::string child = path == "/" ? "/" + name : path + "/" + name;
    out[ino] = child;
    int fd = openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) Walk(fd, child, out, depth + 1);
  }
  closedir(dir);
}

}  // namespace

std::optional<std::string> FindCgroup2Mount(std::string_view mountinfo) {
  std::istringstream in{std::string(mountinfo)};
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superopts
    size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream head(line.substr(0, sep));
    std::istringstream tail(line.substr(sep + 3));
    std::string id, parent, devno, root, mountpoint, fstype;
    if (!(head >> id >> parent >> devno >> root >> mountpoint)) continue;
    if (!(tail >> fstype)) continue;
    if (fstype == "cgroup2") return UnescapeOctal(mountpoint);
  }
  return std::nullopt;
}

std::optional<std::string> ChooseCgroup2Root(std::string_view host_mountinfo, std::string_view self_mountinfo,
                                             const std::string& rootfs,
                                             const std::function<bool(const std::string&)>& usable) {
  if (auto host = FindCgroup2Mount(host_mountinfo)) {
    std::string prefix = rootfs;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    std::string candidate = prefix + *host;
    if (usable(candidate)) return candidate;
  }
  return FindCgroup2Mount(self_mountinfo);
}

std::string NormalizeCgroup2Root(const std::string& root,
                                 const std::function<bool(const std::string&)>& is_cgroup2) {
  if (root.empty() || is_cgroup2(root)) return root;
  std::string unified = root + (root.back() == '/' ? "" : "/") + "unified";
  return is_cgroup2(unified) ? unified : root;
}

CgroupResolver::CgroupResolver(std::string root, std::chrono::milliseconds min_rescan,
                               std::chrono::milliseconds max_age)
    : root_(std::move(root)),
      min_rescan_(min_rescan),
      max_age_(max_age),
      now_([] { return std::chrono::steady_clock::now(); }) {}

void CgroupResolver::SetRemovedGrace(std::chrono::milliseconds grace) {
  std::lock_guard lock(mu_);
  grace_ = grace;
}

void CgroupResolver::SetLearner(CgroupLearner learner) {
  std::lock_guard lock(mu_);
  learner_ = std::move(learner);
}

void CgroupResolver::SetClock(SteadyNow now) {
  std::lock_guard lock(mu_);
  now_ = std::move(now);
}

std::optional<std::string> CgroupResolver::Resolve(uint64_t id) {
  std::lock_guard lock(mu_);
  const auto now = now_();
  // A walk that fails keeps the old names: better stale than none.
  if (now - last_scan_ >= max_age_ && scans_ > 0) (void)RescanLocked();
  ExpireLocked(now);
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  if (auto it = removed_.find(id); it != removed_.end()) return it->second.path;
  // Never walked yet: walk now, however young the steady clock (it starts
  // near zero at boot, so "long ago" cannot be told from time_point{}).
  if (scans_ == 0 || now - last_scan_ >= min_rescan_) {
    if (!RescanLocked().ok()) return std::nullopt;
    if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  }
  if (grace_.count() == 0 || !learner_ || expired_.count(id) != 0) return std::nullopt;
  auto path = LearnLocked(id, 0);
  if (path) removed_[id] = Removed{*path, now};
  return path;
}

std::optional<std::string> CgroupResolver::LearnLocked(uint64_t id, int depth) {
  // Depth: a container's parent (its pod) is nearly always in the tree; a
  // chain of removed ancestors deeper than this is not worth following.
  constexpr int kMaxDepth = 8;
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  if (auto it = removed_.find(id); it != removed_.end()) return it->second.path;
  if (depth >= kMaxDepth) return std::nullopt;
  auto learned = learner_(id);
  if (!learned || learned->name.empty() || learned->name.find('/') != std::string::npos ||
      learned->parent_id == 0 || learned->parent_id == id)
    return std::nullopt;
  auto parent = LearnLocked(learned->parent_id, depth + 1);
  if (!parent) return std::nullopt;
  return (*parent == "/" ? "" : *parent) + "/" + learned->name;
}

void CgroupResolver::ExpireLocked(std::chrono::steady_clock::time_point now) {
  for (auto it = removed_.begin(); it != removed_.end();) {
    if (now - it->second.since >= grace_) {
      expired_[it->first] = now;
      it = removed_.erase(it);
    } else {
      ++it;
    }
  }
  // Long after an id's grace its kernel entries are gone; a bound on the set.
  const auto keep = std::max<std::chrono::steady_clock::duration>(10 * grace_, std::chrono::minutes(10));
  for (auto it = expired_.begin(); it != expired_.end();)
    it = now - it->second >= keep ? expired_.erase(it) : std::next(it);
}

Status CgroupResolver::Rescan() {
  std::lock_guard lock(mu_);
  return RescanLocked();
}

Status CgroupResolver::RescanLocked() {
  const auto now = now_();
  last_scan_ = now;
  ++scans_;
  int fd = open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno("open cgroup root " + root_);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    Error e = Error::FromErrno("stat cgroup root " + root_);
    close(fd);
    return e;
  }
  std::unordered_map<uint64_t, std::string> fresh;
  fresh.try_emplace(st.st_ino, 1, '/');
  Walk(fd, "/", fresh, 0);
  if (grace_.count() > 0) {
    for (auto& [id, path] : paths_)
      if (fresh.count(id) == 0) removed_.try_emplace(id, Removed{std::move(path), now});
    for (const auto& entry : fresh) {
      removed_.erase(entry.first);  // learned before a walk saw it
      expired_.erase(entry.first);
    }
  }
  paths_.swap(fresh);
  return Ok{};
}

std::vector<std::string> CgroupResolver::KnownPaths() {
  std::lock_guard lock(mu_);
  const auto now = now_();
  if (scans_ == 0 || now - last_scan_ >= max_age_) (void)RescanLocked();
  ExpireLocked(now);
  std::vector<std::string> out;
  out.reserve(paths_.size() + removed_.size());
  for (const auto& entry : paths_) out.push_back(entry.second);
  for (const auto& entry : removed_) out.push_back(entry.second.path);
  return out;
}

uint64_t CgroupResolver::scans() const {
  std::lock_guard lock(mu_);
  return scans_;
}

size_t CgroupResolver::known() const {
  std::lock_guard lock(mu_);
  return paths_.size();
}

size_t CgroupResolver::removed_known() const {
  std::lock_guard lock(mu_);
  return removed_.size();
}

}  // namespace hostprobe

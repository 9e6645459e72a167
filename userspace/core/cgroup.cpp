#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <vector>

namespace hostprobe {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string UnescapeMountField(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

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
    if (fstype == "cgroup2") return UnescapeMountField(mountpoint);
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
    : root_(std::move(root)), min_rescan_(min_rescan), max_age_(max_age) {}

std::optional<std::string> CgroupResolver::Resolve(uint64_t id) {
  std::lock_guard lock(mu_);
  const auto age = std::chrono::steady_clock::now() - last_scan_;
  // A walk that fails keeps the old names: better stale than none.
  if (age >= max_age_ && scans_ > 0) (void)RescanLocked();
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  // Never walked yet: walk now, however young the steady clock (it starts
  // near zero at boot, so "long ago" cannot be told from time_point{}).
  if (scans_ > 0 && std::chrono::steady_clock::now() - last_scan_ < min_rescan_) return std::nullopt;
  if (!RescanLocked().ok()) return std::nullopt;
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  return std::nullopt;
}

Status CgroupResolver::Rescan() {
  std::lock_guard lock(mu_);
  return RescanLocked();
}

Status CgroupResolver::RescanLocked() {
  last_scan_ = std::chrono::steady_clock::now();
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
  paths_.swap(fresh);
  return Ok{};
}

uint64_t CgroupResolver::scans() const {
  std::lock_guard lock(mu_);
  return scans_;
}

size_t CgroupResolver::known() const {
  std::lock_guard lock(mu_);
  return paths_.size();
}

}  // namespace hostprobe

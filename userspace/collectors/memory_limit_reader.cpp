#include "collectors/memory_limit_reader.h"

#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "core/procfs.h"

namespace hostprobe {
namespace {

std::optional<std::string> Slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The v1 memory cgroup of `pid` from /proc/<pid>/cgroup ("N:memory:/path").
std::optional<std::string> V1MemoryPath(const std::string& procfs, int32_t pid) {
  auto text = Slurp(procfs + "/" + std::to_string(pid) + "/cgroup");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string_view controllers(line.data() + a + 1, b - a - 1);
    // "memory", possibly among others ("cpu,memory" is not a real pairing, but cheap to allow).
    for (size_t p = 0; p <= controllers.size();) {
      size_t comma = controllers.find(',', p);
      std::string_view c =
          controllers.substr(p, comma == std::string_view::npos ? std::string_view::npos : comma - p);
      if (c == "memory") return line.substr(b + 1);
      if (comma == std::string_view::npos) break;
      p = comma + 1;
    }
  }
  return std::nullopt;
}

}  // namespace

MemoryLimitReader::MemoryLimitReader(std::string procfs, std::string cgroup2_root)
    : procfs_(std::move(procfs)), v2_root_(std::move(cgroup2_root)) {
  const std::string suffix = "/unified";
  if (v2_root_.size() > suffix.size() &&
      v2_root_.compare(v2_root_.size() - suffix.size(), suffix.size(), suffix) == 0) {
    std::string v1 = v2_root_.substr(0, v2_root_.size() - suffix.size()) + "/memory";
    if (IsDir(v1)) v1_root_ = v1;
  }
}

std::optional<uint64_t> MemoryLimitReader::CgroupAnonymous(const std::string& cgroup_path) const {
  if (v2_root_.empty() || cgroup_path.empty() || cgroup_path[0] != '/' || cgroup_path == "/")
    return std::nullopt;
  auto stat = Slurp(v2_root_ + cgroup_path + "/memory.stat");
  if (!stat) return std::nullopt;
  auto anon = MemoryStatField(*stat, "anon");
  if (!anon) return std::nullopt;
  uint64_t swap = 0;
  if (auto text = Slurp(v2_root_ + cgroup_path + "/memory.swap.current"))
    swap = ParseCgroupV2Max(*text).value_or(0);
  return *anon + MemoryStatField(*stat, "shmem").value_or(0) + swap;
}

MemoryHeadroom MemoryLimitReader::For(int32_t pid, const std::string& cgroup_path) const {
  std::optional<MemoryHeadroom> best;
  auto consider = [&best](const MemoryHeadroom& h) {
    if (!best || h.headroom() < best->headroom()) best = h;
  };
  // v2: every level from the process's cgroup up to the root (the root
  // itself has no memory.max).
  if (!v2_root_.empty() && !cgroup_path.empty() && cgroup_path[0] == '/') {
    for (std::string level = cgroup_path; level.size() > 1; level = level.substr(0, level.rfind('/'))) {
      const std::string dir = v2_root_ + level;
      auto max = Slurp(dir + "/memory.max");
      if (!max) continue;  // no memory controller at this level
      auto limit = ParseCgroupV2Max(*max);
      if (!limit) continue;
      auto current = Slurp(dir + "/memory.current");
      auto stat = Slurp(dir + "/memory.stat");
      if (!current || !stat) continue;
      MemoryHeadroom h;
      h.source = LimitSource::kCgroupV2;
      h.limit_bytes = *limit;
      h.used_bytes = V2Unreclaimable(ParseCgroupV2Max(*current).value_or(0), *stat);
      h.cgroup = level;
      consider(h);
      if (level.rfind('/') == 0) break;
    }
  }
  // v1 (hybrid hosts): hierarchical_memory_limit is already the smallest
  // limit on the way up.
  if (!v1_root_.empty()) {
    if (auto path = V1MemoryPath(procfs_, pid)) {
      const std::string dir = v1_root_ + (*path == "/" ? "" : *path);
      if (auto stat = Slurp(dir + "/memory.stat")) {
        auto limit = MemoryStatField(*stat, "hierarchical_memory_limit");
        if (limit && V1Limit(*limit)) {
          MemoryHeadroom h;
          h.source = LimitSource::kCgroupV1;
          h.limit_bytes = *limit;
          h.used_bytes = V1Unreclaimable(*stat);
          h.cgroup = *path;
          consider(h);
        }
      }
    }
  }
  if (best) return *best;
  MemoryHeadroom node;
  node.source = LimitSource::kNode;
  if (auto meminfo = Slurp(procfs_ + "/meminfo")) {
    if (auto parsed = ParseMeminfo(*meminfo); parsed.ok()) {
      const uint64_t available = parsed->available_bytes.value_or(parsed->free_bytes.value_or(0));
      node.limit_bytes = parsed->total_bytes;
      node.used_bytes = parsed->total_bytes > available ? parsed->total_bytes - available : 0;
    }
  }
  return node;
}

}  // namespace hostprobe

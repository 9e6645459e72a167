#include "collectors/map_evictions_collector.h"

#include <dirent.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "../../bpf/map_evictions.h"
#include "collectors/bpf_util.h"
#include "collectors/libbpf_log.h"
#include "map_evictions.skel.h"

namespace hostprobe {

namespace {

constexpr const char* kName = "map_evictions";
constexpr const char* kProgram = "hp_lru_evict";
constexpr const char* kAttach = "fexit/htab_lru_map_delete_node";

// Every LRU hash among this process's file descriptors, once each, in fd
// order. Only maps this process holds are found: other programs' LRU maps
// on the host are never counted.
std::vector<MapEvictionsCollector::WatchedMap> OwnLruMaps() {
  std::vector<MapEvictionsCollector::WatchedMap> out;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) {
    spdlog::error("{}: cannot list /proc/self/fd: {}; no map is watched", kName, std::strerror(errno));
    return out;
  }
  std::vector<int> fds;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && fd >= 0 && fd != dirfd(dir)) fds.push_back(static_cast<int>(fd));
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  std::unordered_set<uint32_t> seen;
  for (int fd : fds) {
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) continue;  // not a BPF map
    if (info.type != BPF_MAP_TYPE_LRU_HASH && info.type != BPF_MAP_TYPE_LRU_PERCPU_HASH) continue;
    if (!seen.insert(info.id).second) continue;
    out.push_back({info.id, info.name});
  }
  return out;
}

}  // namespace

void MapEvictionsCollector::SkelDeleter::operator()(map_evictions_bpf* s) const {
  map_evictions_bpf__destroy(s);
}

MapEvictionsCollector::~MapEvictionsCollector() = default;

std::unique_ptr<MapEvictionsCollector> MapEvictionsCollector::Start() {
  std::unique_ptr<MapEvictionsCollector> c(new MapEvictionsCollector());
  c->watched_ = OwnLruMaps();
  if (c->watched_.size() > HP_EVICT_MAX_MAPS) {
    spdlog::warn("{}: {} LRU maps, counting the first {} only", kName, c->watched_.size(), HP_EVICT_MAX_MAPS);
    c->watched_.resize(HP_EVICT_MAX_MAPS);
  }
  std::string names;
  for (const WatchedMap& w : c->watched_) names += (names.empty() ? "" : ", ") + w.name;

  Status st = c->Load();
  if (st.ok() && !c->hooks_.front().attached) st = Error{c->hooks_.front().error, ENOTSUP};
  if (!st.ok()) {
    c->skel_.reset();
    c->hooks_ = {{kProgram, kAttach, false, st.error().message, -1, /*optional=*/true}};
    spdlog::warn(
        "{}: evictions from the LRU maps are not counted (hostprobe_bpf_map_evictions_total is not "
        "exported): the kernel refused the fexit program ({}); fexit needs BPF trampolines, which some "
        "kernels and architectures lack. Every other figure is unaffected",
        kName, st.error().message);
    return c;
  }
  spdlog::info("{}: counting evictions of {} LRU maps ({})", kName, c->watched_.size(), names);
  return c;
}

// Opens, loads, fills evict_watch (before attaching, so no eviction goes
// uncounted for want of its slot) and attaches.
Status MapEvictionsCollector::Load() {
  BeginLibbpfOperation();
  skel_.reset(map_evictions_bpf__open_opts(SkeletonOpenOpts()));
  if (!skel_) return Error::FromErrno("open map_evictions BPF object");
  map_evictions_bpf* s = skel_.get();
  if (int err = map_evictions_bpf__load(s); err != 0)
    return LibbpfFailure("load map_evictions BPF program", err);
  const int watch_fd = bpf_map__fd(s->maps.evict_watch);
  for (uint32_t slot = 0; slot < watched_.size(); ++slot) {
    if (bpf_map_update_elem(watch_fd, &watched_[slot].id, &slot, BPF_ANY) != 0)
      return Error::FromErrno("fill evict_watch with map " + watched_[slot].name);
  }
  hooks_ = AttachPrograms(kName, {{s->progs.hp_lru_evict, &s->links.hp_lru_evict, kAttach}});
  for (HookStatus& h : hooks_) h.optional = true;  // only the eviction counter depends on it
  return Ok{};
}

CollectorHealth MapEvictionsCollector::health() {
  if (!skel_) return {true, ""};
  auto counts = ReadPerCpuCounters(bpf_map__fd(skel_->maps.map_evictions), HP_EVICT_MAX_MAPS);
  if (!counts) return {false, "reading maps failed: " + counts.error().message};
  return {true, ""};
}

Result<MapEvictionsSnapshot> MapEvictionsCollector::ReadMapEvictions() {
  MapEvictionsSnapshot snap;
  if (!skel_) return snap;
  auto counts =
      ReadPerCpuCounters(bpf_map__fd(skel_->maps.map_evictions), static_cast<uint32_t>(watched_.size()));
  if (!counts) return counts.error();
  snap.counting = true;
  for (size_t i = 0; i < watched_.size(); ++i)
    snap.maps.push_back({EvictionMapLabel(watched_[i].name), (*counts)[i]});
  return snap;
}

}  // namespace hostprobe

#include "collectors/bpf_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "collectors/libbpf_log.h"
#include "core/procfs.h"
#include "core/test_hooks.h"

namespace hostprobe {

MappedMap::~MappedMap() {
  if (addr_ != nullptr) munmap(addr_, bytes_);
}

Result<const void*> MappedMap::Map(int fd, size_t bytes) {
  if (addr_ != nullptr) return Error{"already mapped", EBUSY};
  void* addr = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return Error::FromErrno("mmap");
  addr_ = addr;
  bytes_ = bytes;
  return static_cast<const void*>(addr);
}

bool RefusedForTesting(const std::string& program) {
  const TestHook hook = HOSTPROBE_TEST_HOOK("REFUSE_ATTACH");
  if (hook.value == nullptr) return false;
  std::string_view list = hook.value;
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (list.substr(0, comma) == program) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

void ApplyTestMaxEntries(const std::string& collector, bpf_object* obj) {
  const TestHook hook = HOSTPROBE_TEST_HOOK("MAX_ENTRIES");
  if (hook.value == nullptr) return;
  std::string_view list = hook.value;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      const std::string name(item.substr(0, eq));
      const unsigned long n = std::strtoul(std::string(item.substr(eq + 1)).c_str(), nullptr, 10);
      if (bpf_map* map = bpf_object__find_map_by_name(obj, name.c_str()); map != nullptr && n > 0) {
        if (bpf_map__set_max_entries(map, static_cast<__u32>(n)) == 0)
          spdlog::warn("{}: map {} limited to {} entries by {} (fault injection)", collector, name, n,
                       hook.name);
      }
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

std::vector<HookStatus> AttachPrograms(const std::string& collector, const std::vector<AttachSpec>& specs) {
  std::vector<HookStatus> hooks;
  for (const AttachSpec& spec : specs) {
    HookStatus st{bpf_program__name(spec.program), spec.attach, false, "", bpf_program__fd(spec.program)};
    const bool refused = RefusedForTesting(st.name);
    bpf_link* link = refused ? nullptr : bpf_program__attach(spec.program);
    if (link == nullptr) {
      const int err = -errno;
      st.error = refused ? std::string("refused by ") + HOSTPROBE_TEST_HOOK("REFUSE_ATTACH").name +
                               " (fault injection)"
                         : LibbpfError(err) + PermissionHint(err);
      spdlog::error("{}: attach {} ({}) failed: {}", collector, st.name, st.attach, st.error);
    } else {
      *spec.link = link;  // the skeleton owns it from now on
      st.attached = true;
      spdlog::info("{}: attached {} to {}", collector, st.name, st.attach);
    }
    hooks.push_back(std::move(st));
  }
  return hooks;
}

void ConfigureMapAllocation(const std::string& collector, bpf_object* obj, const BpfFeatures& features) {
  if (features.any_context_map_alloc) return;
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, obj) {
    const bpf_map_type type = bpf_map__type(map);
    const __u32 flags = bpf_map__map_flags(map);
    // Only hashes: task storage needs the flag, and LRU hashes refuse it.
    if ((type != BPF_MAP_TYPE_HASH && type != BPF_MAP_TYPE_PERCPU_HASH) || (flags & BPF_F_NO_PREALLOC) == 0)
      continue;
    bpf_map__set_map_flags(map, flags & ~static_cast<__u32>(BPF_F_NO_PREALLOC));
    spdlog::info("{}: map {} preallocated ({} entries): the kernel has no BPF memory allocator (before 6.1)",
                 collector, bpf_map__name(map), bpf_map__max_entries(map));
  }
}

const bpf_object_open_opts* SkeletonOpenOpts() {
  static constexpr const char* kKernelBtf = "/sys/kernel/btf/vmlinux";
  static const bpf_object_open_opts opts = [] {
    bpf_object_open_opts o{};
    o.sz = sizeof(o);
    o.btf_custom_path = kKernelBtf;
    return o;
  }();
  static const bool readable = access(kKernelBtf, R_OK) == 0;
  return readable ? &opts : nullptr;
}

CollectorHealth AttachedAndReadable(const std::vector<HookStatus>& hooks, int self_stats_fd, uint32_t count) {
  if (auto detached = DetachedHook(hooks)) return *detached;
  auto self = ReadPerCpuCounters(self_stats_fd, count);
  if (!self) return {false, "reading maps failed: " + self.error().message};
  return {true, ""};
}

size_t CountAttached(const std::vector<HookStatus>& hooks) {
  size_t n = 0;
  for (const auto& h : hooks) n += h.attached ? 1 : 0;
  return n;
}

std::optional<uint64_t> ReadRecursionMisses(int prog_fd) {
  if (prog_fd < 0) return std::nullopt;
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) return std::nullopt;
  // The kernel fills what it knows and says how much: before 5.12 the
  // structure ends before recursion_misses.
  if (len < offsetof(bpf_prog_info, recursion_misses) + sizeof(info.recursion_misses)) return std::nullopt;
  return info.recursion_misses;
}

std::vector<BpfMapMemory> ReadOwnBpfMapMemory() {
  std::vector<BpfMapMemory> out;
  DIR* dir = opendir("/proc/self/fdinfo");
  if (dir == nullptr) return out;
  const int dir_fd = dirfd(dir);
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dir_fd) continue;
    int info_fd = openat(dir_fd, e->d_name, O_RDONLY | O_CLOEXEC);
    if (info_fd < 0) continue;
    char buf[1024];
    ssize_t n = read(info_fd, buf, sizeof(buf) - 1);
    close(info_fd);
    if (n <= 0) continue;
    auto parsed = ParseBpfMapFdinfo(std::string_view(buf, static_cast<size_t>(n)));
    if (!parsed || !parsed->has_value()) continue;
    bpf_map_info info{};
    __u32 len = sizeof(info);
    std::string name = "id_" + std::to_string((*parsed)->map_id);
    if (bpf_obj_get_info_by_fd(static_cast<int>(fd), &info, &len) == 0 && info.name[0] != '\0')
      name = std::string(info.name, strnlen(info.name, sizeof(info.name)));
    out.push_back({std::move(name), (*parsed)->memlock});
  }
  closedir(dir);
  return out;
}

Result<std::vector<uint64_t>> ReadPerCpuCounters(int fd, uint32_t count) {
  std::vector<uint64_t> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
  std::vector<uint64_t> sums(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) != 0) return Error::FromErrno("read per-CPU counters");
    for (uint64_t v : per_cpu) sums[i] += v;
  }
  return sums;
}

}  // namespace hostprobe

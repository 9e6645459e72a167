#include "core/map_evictions.h"

#include <utility>

namespace hostprobe {

std::string EvictionMapLabel(std::string_view kernel_name) {
  // Kernel map name (bpf/*.bpf.c) -> label of its update failures.
  static constexpr std::pair<std::string_view, std::string_view> kLabels[] = {
      {"inflight_lru", "syscall_inflight"},  // syscalls.bpf.c, raw_tp variant
      {"rq_start", "disk_inflight"},         // diskio.bpf.c
  };
  for (const auto& [name, label] : kLabels)
    if (name == kernel_name) return std::string(label);
  return std::string(kernel_name);
}

}  // namespace hostprobe

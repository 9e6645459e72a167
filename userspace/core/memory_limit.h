// The memory limit a process would be killed at, and how long its growth
// takes to reach it: the leak detector's exhaustion forecast. Pure parsing
// and arithmetic here; collectors/memory_limit_reader reads the files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hostprobe {

// Where the nearest limit comes from.
enum class LimitSource {
  kCgroupV2,  // memory.max of the process's cgroup or an ancestor
  kCgroupV1,  // hierarchical_memory_limit of its v1 memory cgroup (hybrid hosts)
  kNode,      // no cgroup limit: what the node has available (MemAvailable)
};
const char* LimitSourceName(LimitSource s);  // "cgroup_v2", "cgroup_v1", "node"

struct MemoryHeadroom {
  LimitSource source = LimitSource::kNode;
  uint64_t limit_bytes = 0;  // the limit (for the node: used + MemAvailable)
  uint64_t used_bytes = 0;   // what counts against it and cannot be reclaimed
  std::string cgroup;        // the cgroup whose limit it is (empty for the node)
  uint64_t headroom() const { return limit_bytes > used_bytes ? limit_bytes - used_bytes : 0; }
};

// memory.max: "max" or a byte count; nullopt for "max" and for garbage.
std::optional<uint64_t> ParseCgroupV2Max(std::string_view text);

// One "key value" field of a memory.stat file; nullopt when absent or malformed.
std::optional<uint64_t> MemoryStatField(std::string_view memory_stat, std::string_view key);

// A v1 limit ("hierarchical_memory_limit" or memory.limit_in_bytes): values
// at or above 2^62 mean unlimited (the kernel reports PAGE_COUNTER_MAX pages).
std::optional<uint64_t> V1Limit(uint64_t value);

// Memory of a v2 cgroup that its limit cannot take back by reclaiming page
// cache: memory.current minus the file pages of memory.stat (anonymous,
// shared and kernel memory stay).
uint64_t V2Unreclaimable(uint64_t memory_current, std::string_view memory_stat);

// The same for a v1 memory cgroup, from its memory.stat: total_rss +
// total_shmem (anonymous and shared memory; v1 charges shmem to the cache).
uint64_t V1Unreclaimable(std::string_view memory_stat);

// Seconds until `growth_bytes_per_second` fills the headroom: 0 when none is
// left, nullopt when nothing grows.
std::optional<double> ExhaustionSeconds(const MemoryHeadroom& h, double growth_bytes_per_second);

}  // namespace hostprobe

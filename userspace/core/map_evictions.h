// Evictions from the sensor's own LRU maps: what the kernel program counts,
// under the names the update-failure counter already uses for the same maps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace hostprobe {

struct MapEvictionCount {
  std::string map;  // the `map` label: EvictionMapLabel of the kernel's name
  uint64_t evictions = 0;
};

struct MapEvictionsSnapshot {
  bool counting = false;               // the kernel program is attached: the counts are real
  std::vector<MapEvictionCount> maps;  // one per watched map, possibly several with one label
};

// The `map` label of the LRU map the kernel names `kernel_name` (a BPF map
// name, at most 15 bytes): the label hostprobe_bpf_map_update_failures_total
// gives the same map, so the two series of a map line up. A map without one
// keeps its kernel name.
std::string EvictionMapLabel(std::string_view kernel_name);

// Implemented by MapEvictionsCollector, faked in tests of the exporter.
class MapEvictionsSource {
 public:
  virtual ~MapEvictionsSource() = default;
  virtual Result<MapEvictionsSnapshot> ReadMapEvictions() = 0;
};

// Thread-safe: after Start() nothing changes but the kernel's counters.
}  // namespace hostprobe

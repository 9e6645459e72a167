#include "exporters/prometheus/map_eviction_metrics.h"

#include <map>
#include <string>

#include "exporters/prometheus/family_builder.h"

namespace hostprobe {

std::vector<prometheus::MetricFamily> BuildMapEvictionFamilies(const MapEvictionsSnapshot& snap) {
  if (!snap.counting) return {};
  auto evictions = MakeFamily("hostprobe_bpf_map_evictions_total",
                              "Entries the kernel evicted from a full LRU map to make room for a new one, by "
                              "map (eBPF, fexit on htab_lru_map_delete_node).",
                              prometheus::MetricType::Counter);
  std::map<std::string, uint64_t> by_label;
  for (const MapEvictionCount& m : snap.maps) by_label[m.map] += m.evictions;
  for (const auto& [label, count] : by_label)
    AddCounter(evictions, {{"map", label}}, static_cast<double>(count));
  std::vector<prometheus::MetricFamily> out;
  out.push_back(std::move(evictions));
  return out;
}

std::vector<prometheus::MetricFamily> MapEvictionMetrics::Collect() const {
  auto snap = source_.ReadMapEvictions();
  if (!snap) return {read_errors_.Failed(snap.error())};
  auto out = BuildMapEvictionFamilies(*snap);
  if (snap->counting) out.push_back(read_errors_.Family());
  return out;
}

}  // namespace hostprobe

// Small helpers for building prometheus::MetricFamily by hand.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>

#include "core/histogram.h"
#include "core/labels.h"
#include "core/pod_attribution.h"

namespace hostprobe {

using Labels = std::initializer_list<std::pair<const char*, std::string>>;

inline prometheus::MetricFamily MakeFamily(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

inline prometheus::ClientMetric& AddMetric(prometheus::MetricFamily& f, Labels labels) {
  prometheus::ClientMetric m;
  for (const auto& [k, v] : labels) m.label.push_back({k, SanitizeLabelValue(v)});
  f.metric.push_back(std::move(m));
  return f.metric.back();
}

inline void AddCounter(prometheus::MetricFamily& f, Labels labels, double value) {
  AddMetric(f, labels).counter.value = value;
}

// A metric of one cgroup: labels `cgroup` (its v2 path), `pod_uid` and
// `container_id` (parsed from the path, empty for host cgroups), then `extra`.
inline prometheus::ClientMetric& AddCgroupMetric(prometheus::MetricFamily& f, const std::string& path,
                                                 Labels extra) {
  PodAttribution a = ParsePodAttribution(path);
  prometheus::ClientMetric m;
  m.label.push_back({"cgroup", SanitizeLabelValue(path)});
  m.label.push_back({"pod_uid", std::move(a.pod_uid)});
  m.label.push_back({"container_id", std::move(a.container_id)});
  for (const auto& [k, v] : extra) m.label.push_back({k, SanitizeLabelValue(v)});
  f.metric.push_back(std::move(m));
  return f.metric.back();
}

inline void AddCgroupCounter(prometheus::MetricFamily& f, const std::string& path, Labels extra,
                             double value) {
  AddCgroupMetric(f, path, extra).counter.value = value;
}

inline void AddCgroupGauge(prometheus::MetricFamily& f, const std::string& path, double value) {
  AddCgroupMetric(f, path, {}).gauge.value = value;
}

inline void AddGauge(prometheus::MetricFamily& f, Labels labels, double value) {
  AddMetric(f, labels).gauge.value = value;
}

inline void SetHistogram(prometheus::ClientMetric& m, const CumulativeHistogram& h) {
  m.histogram.sample_count = h.count;
  m.histogram.sample_sum = h.sum_seconds;
  for (size_t i = 0; i < h.upper_bounds_seconds.size(); ++i)
    m.histogram.bucket.push_back({h.cumulative_counts[i], h.upper_bounds_seconds[i]});
  m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
}

inline void AddHistogram(prometheus::MetricFamily& f, Labels labels, const CumulativeHistogram& h) {
  SetHistogram(AddMetric(f, labels), h);
}

// hostprobe_bpf_map_update_failures_total for the maps of one kernel
// program, {map label, failures} each. Every program contributes its own
// series; the server merges them into one family.
inline prometheus::MetricFamily MapUpdateFailuresFamily(
    std::initializer_list<std::pair<const char*, uint64_t>> maps) {
  auto f = MakeFamily("hostprobe_bpf_map_update_failures_total",
                      "Kernel-side updates that failed because a map was full, by map.",
                      prometheus::MetricType::Counter);
  for (const auto& [map, failures] : maps) AddCounter(f, {{"map", map}}, static_cast<double>(failures));
  return f;
}

// hostprobe_collector_read_errors_total for one collector. Every collectable
// contributes its own series; the server merges them into one family.
inline prometheus::MetricFamily ReadErrorsFamily(const char* collector, uint64_t count) {
  auto f = MakeFamily("hostprobe_collector_read_errors_total",
                      "Failed reads of a collector's kernel maps or files, by collector.",
                      prometheus::MetricType::Counter);
  AddCounter(f, {{"collector", collector}}, static_cast<double>(count));
  return f;
}

}  // namespace hostprobe
